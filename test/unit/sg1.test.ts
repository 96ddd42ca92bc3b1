import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLine } from '../../src/codecs/line.js';
import { encodeSg1, parseSg1, parseSg1Values, sg1Checksum } from '../../src/codecs/sg1.js';
import type { Frame } from '../../src/domain/index.js';
import { validFrame } from '../helpers/sg1-arbitraries.js';

/** The verified examples of docs/wire.md §1, with the frame each must give. */
const EXAMPLES: [string, Frame][] = [
  [
    '$SG1,pir-07,1234,pir,n=3,bat=3.71*16',
    { node: 'pir-07', seq: 1234, type: 'pir', v: { n: 3, bat: 3.71 } },
  ],
  [
    '$SG1,cam-02,88,cam,label=elephant,conf=0.91,bat=3.90*2F',
    { node: 'cam-02', seq: 88, type: 'cam', v: { label: 'elephant', conf: 0.91, bat: 3.9 } },
  ],
  [
    '$SG1,fence-01,5,fence,kv=2.1,bat=12.6*4C',
    { node: 'fence-01', seq: 5, type: 'fence', v: { kv: 2.1, bat: 12.6 } },
  ],
  ['$SG1,btn-pos1,17,btn,p=1*2F', { node: 'btn-pos1', seq: 17, type: 'btn', v: { p: 1 } }],
  [
    '$SG1,seis-03,402,seis,pgv=0.82,f=8.5*21',
    { node: 'seis-03', seq: 402, type: 'seis', v: { pgv: 0.82, f: 8.5 } },
  ],
  [
    '$SG1,beam-11,77,beam,cut=1,bat=3.60*1B',
    { node: 'beam-11', seq: 77, type: 'beam', v: { cut: 1, bat: 3.6 } },
  ],
  [
    '$SG1,pir-07,1235,hb,bat=3.70,rssi=-71*1A',
    { node: 'pir-07', seq: 1235, type: 'hb', v: { bat: 3.7, rssi: -71 } },
  ],
  [
    '$SG1,col-ek1,9,gps,lat=-4.9271,lon=105.7823,hdop=1.2,bat=3.95*44',
    { node: 'col-ek1', seq: 9, type: 'gps', v: { lat: -4.9271, lon: 105.7823, hdop: 1.2, bat: 3.95 } },
  ],
];

/** Re-checksums a body so a test can reach the checks behind the checksum. */
const frame = (body: string) => `$${body}*${sg1Checksum(body)}`;

describe('parseSg1: verified examples (docs/wire.md §1)', () => {
  it.each(EXAMPLES)('%s', (line, want) => {
    expect(parseSg1(line)).toEqual({ ok: true, value: want });
    expect(parseSg1(`${line}\r`)).toEqual({ ok: true, value: want });
    expect(parseLine(`${line}\r\n`)).toEqual({ ok: true, value: want });
  });
  it('takes the checksum in lower case', () => {
    expect(parseSg1('$SG1,cam-02,88,cam,label=elephant,conf=0.91,bat=3.90*2f').ok).toBe(true);
  });
  it('re-encodes each example to the same bytes modulo number spelling', () => {
    for (const [line, want] of EXAMPLES) {
      const again = encodeSg1(want);
      expect(parseSg1(again)).toEqual({ ok: true, value: want });
      if (!/\.\d*0[,*]/.test(line)) expect(again).toBe(line);
    }
  });
});

describe('parseSg1: refusals', () => {
  const cases: [string, string, string][] = [
    ['no prefix', 'SG1,pir-07,1,pir,n=1*00', 'bad_syntax'],
    ['other protocol', frame('SG2,pir-07,1,pir,n=1'), 'bad_syntax'],
    ['no checksum', '$SG1,pir-07,1,pir,n=1', 'bad_syntax'],
    ['one hex digit', '$SG1,pir-07,1,pir,n=1*6', 'bad_syntax'],
    ['non-hex checksum', '$SG1,pir-07,1,pir,n=1*G1', 'bad_syntax'],
    ['wrong checksum', '$SG1,pir-07,1234,pir,n=3,bat=3.71*17', 'bad_checksum'],
    ['flipped byte', '$SG1,pir-07,1234,pir,n=4,bat=3.71*16', 'bad_checksum'],
    ['only prefix', frame('SG1,'), 'bad_syntax'],
    ['no seq', frame('SG1,pir-07'), 'bad_syntax'],
    ['no type', frame('SG1,pir-07,1'), 'bad_syntax'],
    ['upper-case node', frame('SG1,PIR-07,1,pir,n=1'), 'bad_node'],
    ['node starts with -', frame('SG1,-pir,1,pir,n=1'), 'bad_node'],
    ['empty node', frame('SG1,,1,pir,n=1'), 'bad_node'],
    ['node of 33', frame(`SG1,${'a'.repeat(33)},1,pir,n=1`), 'bad_node'],
    ['empty seq', frame('SG1,pir-07,,pir,n=1'), 'bad_seq'],
    ['negative seq', frame('SG1,pir-07,-1,pir,n=1'), 'bad_seq'],
    ['seq 2^32', frame('SG1,pir-07,4294967296,pir,n=1'), 'bad_seq'],
    ['seq with dot', frame('SG1,pir-07,1.0,pir,n=1'), 'bad_seq'],
    ['unknown type', frame('SG1,pir-07,1,rain,mm=3'), 'unknown_type'],
    ['upper-case type', frame('SG1,pir-07,1,PIR,n=1'), 'unknown_type'],
    ['missing field', frame('SG1,pir-07,1,pir'), 'missing_field'],
    ['missing label', frame('SG1,cam-02,1,cam,conf=0.5'), 'missing_field'],
    ['bad label', frame('SG1,cam-02,1,cam,label=cow,conf=0.5'), 'bad_value'],
    ['text where a number is due', frame('SG1,pir-07,1,pir,n=three'), 'bad_value'],
    ['non-finite', frame('SG1,pir-07,1,pir,n=1e999'), 'bad_value'],
    ['beam cut 2', frame('SG1,beam-11,1,beam,cut=2'), 'bad_value'],
    ['duplicate key', frame('SG1,pir-07,1,pir,n=1,n=2'), 'bad_syntax'],
    ['no =', frame('SG1,pir-07,1,pir,n'), 'bad_syntax'],
    ['empty value', frame('SG1,pir-07,1,pir,n='), 'bad_syntax'],
    ['empty key', frame('SG1,pir-07,1,pir,=1'), 'bad_syntax'],
    ['upper-case key', frame('SG1,pir-07,1,pir,N=1'), 'bad_syntax'],
    ['key of 17', frame(`SG1,pir-07,1,pir,n=1,${'k'.repeat(17)}=1`), 'bad_syntax'],
    ['empty field', frame('SG1,pir-07,1,pir,,n=1'), 'bad_syntax'],
    ['trailing comma', frame('SG1,pir-07,1,pir,n=1,'), 'bad_syntax'],
    ['trailing comma after type', frame('SG1,pir-07,1,hb,'), 'bad_syntax'],
    ['space in value', frame('SG1,pir-07,1,pir,n=1,note=a b'), 'bad_syntax'],
    ['star in value', frame('SG1,pir-07,1,pir,n=1*2'), 'bad_syntax'],
    ['= in value', frame('SG1,pir-07,1,pir,n=1,x=a=b'), 'bad_syntax'],
    ['byte 0xe9 in value', frame('SG1,pir-07,1,pir,n=1,x=caf\u00e9'), 'bad_syntax'],
    ['char above 0xff', frame('SG1,pir-07,1,pir,n=1,x=\u4e00\u4e00'), 'bad_syntax'],
    ['two CRs', '$SG1,pir-07,1234,pir,n=3,bat=3.71*16\r\r', 'bad_syntax'],
  ];
  it.each(cases)('%s', (_name, line, reason) => {
    const r = parseSg1(line);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe(reason);
  });
});

describe('parseSg1: values', () => {
  it('keeps unknown keys, numbers when decimal, else text', () => {
    const r = parseSg1(frame('SG1,pir-07,1,pir,n=1,fw=v2.3,volt=-0.5,big=2e3,dot=.5,hex=0x1f,inf=1e999'));
    expect(r).toEqual({
      ok: true,
      value: {
        node: 'pir-07',
        seq: 1,
        type: 'pir',
        v: { n: 1, fw: 'v2.3', volt: -0.5, big: 2000, dot: '.5', hex: '0x1f', inf: '1e999' },
      },
    });
  });
  it('takes keys that are Object.prototype names as plain fields', () => {
    const r = parseSg1(frame('SG1,pir-07,1,pir,n=1,constructor=2,tostring=x'));
    expect(r.ok && r.value.v).toEqual({ n: 1, constructor: 2, tostring: 'x' });
  });
  it('reads seq at both ends of its range, with leading zeros', () => {
    expect(parseSg1(frame('SG1,a,0,hb')).ok).toBe(true);
    const top = parseSg1(frame('SG1,a,4294967295,hb'));
    expect(top.ok && top.value.seq).toBe(4294967295);
    const padded = parseSg1(frame('SG1,a,0007,hb'));
    expect(padded.ok && padded.value.seq).toBe(7);
  });
  it('parseSg1Values reads a LoRa sg1 payload', () => {
    expect(parseSg1Values('n=3,bat=3.71')).toEqual({ ok: true, value: { n: 3, bat: 3.71 } });
    expect(parseSg1Values('')).toEqual({ ok: true, value: {} });
    expect(parseSg1Values('n=3,n=4')).toMatchObject({ ok: false, reason: 'bad_syntax' });
  });
  it('sg1Checksum is two upper-case hex digits', () => {
    expect(sg1Checksum('')).toBe('00');
    expect(sg1Checksum('SG1,btn-pos1,17,btn,p=1')).toBe('2F');
  });
});

describe('encodeSg1 / parseSg1 properties', () => {
  it('round-trips every valid frame', () => {
    fc.assert(
      fc.property(validFrame, (f) => {
        expect(parseSg1(encodeSg1(f))).toEqual({ ok: true, value: f });
      }),
      { numRuns: 3000 },
    );
  });
  it('refuses any single changed byte in the body as a checksum or grammar error', () => {
    fc.assert(
      fc.property(validFrame, fc.nat(), fc.integer({ min: 1, max: 255 }), (f, at, mask) => {
        const line = encodeSg1(f);
        const i = 1 + (at % (line.length - 4)); // a byte strictly between $ and *
        const mutated = line.slice(0, i) + String.fromCharCode(line.charCodeAt(i) ^ mask) + line.slice(i + 1);
        const r = parseSg1(mutated);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(['bad_checksum', 'bad_syntax']).toContain(r.reason);
      }),
      { numRuns: 2000 },
    );
  });
});
