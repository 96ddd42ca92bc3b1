import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonLine } from '../../src/codecs/jsonline.js';
import { parseLine } from '../../src/codecs/line.js';
import { parseSg1 } from '../../src/codecs/sg1.js';

describe('parseJsonLine: accepted', () => {
  it('reads the docs/wire.md example', () => {
    expect(parseJsonLine('{"node":"pir-07","seq":1236,"type":"pir","n":1,"bat":3.7}')).toEqual({
      ok: true,
      value: { node: 'pir-07', seq: 1236, type: 'pir', v: { n: 1, bat: 3.7 } },
    });
  });
  it('takes ts, leading spaces, text fields and unknown keys', () => {
    const line =
      '  {"node":"cam-02","seq":0,"type":"cam","ts":1763892000123,"label":"human","conf":1,"fw":"2.1"}';
    expect(parseJsonLine(line)).toEqual({
      ok: true,
      value: {
        node: 'cam-02',
        seq: 0,
        type: 'cam',
        ts: 1763892000123,
        v: { label: 'human', conf: 1, fw: '2.1' },
      },
    });
  });
  it('goes through parseLine with a CRLF', () => {
    expect(parseLine('{"node":"btn-1","seq":4294967295,"type":"btn","p":0}\r\n')).toMatchObject({
      ok: true,
      value: { seq: 4294967295, v: { p: 0 } },
    });
  });
  it('gives the same frame as the SG1 form of the same reading', () => {
    const sg1 = parseSg1('$SG1,col-ek1,9,gps,lat=-4.9271,lon=105.7823,hdop=1.2,bat=3.95*44');
    const json = parseJsonLine(
      '{"node":"col-ek1","seq":9,"type":"gps","lat":-4.9271,"lon":105.7823,"hdop":1.2,"bat":3.95}',
    );
    expect(json).toEqual(sg1);
  });
});

describe('parseJsonLine: refusals', () => {
  const base = { node: 'pir-07', seq: 1, type: 'pir', n: 1 };
  const j = (o: object) => JSON.stringify(o);
  const cases: [string, string, string][] = [
    ['not JSON', '{node:pir-07}', 'bad_json'],
    ['truncated', '{"node":"pir-07","seq":1', 'bad_json'],
    ['trailing garbage', `${j(base)}x`, 'bad_json'],
    ['array', '[1,2]', 'bad_json'],
    ['no node', j({ ...base, node: undefined }), 'missing_field'],
    ['no seq', j({ ...base, seq: undefined }), 'missing_field'],
    ['no type', j({ ...base, type: undefined }), 'missing_field'],
    ['numeric node', j({ ...base, node: 7 }), 'bad_node'],
    ['bad node', j({ ...base, node: 'PIR 07' }), 'bad_node'],
    ['string seq', j({ ...base, seq: '1' }), 'bad_seq'],
    ['fractional seq', j({ ...base, seq: 1.5 }), 'bad_seq'],
    ['negative seq', j({ ...base, seq: -1 }), 'bad_seq'],
    ['seq 2^32', j({ ...base, seq: 2 ** 32 }), 'bad_seq'],
    ['unknown type', j({ ...base, type: 'rain' }), 'unknown_type'],
    ['type not a string', j({ ...base, type: 3 }), 'unknown_type'],
    ['ts zero', j({ ...base, ts: 0 }), 'bad_value'],
    ['ts fraction', j({ ...base, ts: 1.5 }), 'bad_value'],
    ['ts 2^53', j({ ...base, ts: 2 ** 53 }), 'bad_value'],
    ['ts string', j({ ...base, ts: '1763892000123' }), 'bad_value'],
    ['boolean value', j({ ...base, ok: true }), 'bad_value'],
    ['null value', j({ ...base, x: null }), 'bad_value'],
    ['nested object', j({ ...base, x: { y: 1 } }), 'bad_value'],
    ['array value', j({ ...base, x: [1] }), 'bad_value'],
    ['infinite number', '{"node":"pir-07","seq":1,"type":"pir","n":1,"x":1e999}', 'bad_value'],
    ['string where a number is due', j({ ...base, n: '1' }), 'bad_value'],
    ['missing type field', j({ node: 'pir-07', seq: 1, type: 'pir' }), 'missing_field'],
    ['bad key', j({ ...base, 'Bad Key': 1 }), 'bad_syntax'],
    [
      '__proto__ key',
      '{"node":"pir-07","seq":1,"type":"pir","n":1,"__proto__":{"polluted":1}}',
      'bad_syntax',
    ],
  ];
  it.each(cases)('%s', (_name, line, reason) => {
    const r = parseJsonLine(line);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe(reason);
  });
  it('never lets __proto__ reach the values object', () => {
    parseJsonLine('{"node":"pir-07","seq":1,"type":"pir","n":1,"__proto__":{"polluted":1}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('parseJsonLine: properties', () => {
  it('never throws and answers ok or a reason, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue()), (value, obj) => {
        for (const line of [JSON.stringify(value) ?? 'null', JSON.stringify(obj)]) {
          const r = parseJsonLine(line);
          expect(typeof r.ok).toBe('boolean');
          if (!r.ok) expect(r.reason).toMatch(/^[a-z_]+$/);
        }
      }),
      { numRuns: 2000 },
    );
  });
  it('accepts any valid pir reading', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,31}$/),
        fc.integer({ min: 0, max: 4294967295 }),
        fc.nat(),
        fc.option(fc.integer({ min: 1, max: 2 ** 53 - 1 }), { nil: undefined }),
        (node, seq, n, ts) => {
          const r = parseJsonLine(JSON.stringify({ node, seq, type: 'pir', n, ts }));
          expect(r).toEqual({
            ok: true,
            value: { node, seq, type: 'pir', v: { n }, ...(ts === undefined ? {} : { ts }) },
          });
        },
      ),
      { numRuns: 1000 },
    );
  });
});
