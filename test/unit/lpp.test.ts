import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeLpp,
  decodeSg1Body,
  encodeLpp,
  encodeSg1Body,
  FPORT_TYPES,
  TYPE_FPORTS,
} from '../../src/codecs/lpp.js';
import type { ReadingType, Values } from '../../src/domain/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('Cayenne LPP codec (docs/wire.md §2)', () => {
  it('maps FPort 1..8 to hb pir seis beam cam fence gps btn', () => {
    expect([...FPORT_TYPES]).toEqual([
      [1, 'hb'],
      [2, 'pir'],
      [3, 'seis'],
      [4, 'beam'],
      [5, 'cam'],
      [6, 'fence'],
      [7, 'gps'],
      [8, 'btn'],
    ]);
    expect(TYPE_FPORTS.get('cam')).toBe(5);
  });

  it('decodes hand-written payloads', () => {
    // pir: ch1 digital 3, ch8 analog 371 (3.71 V)
    expect(decodeLpp('pir', hex('01 00 03 08 02 01 73'))).toEqual({ ok: true, value: { n: 3, bat: 3.71 } });
    // cam: ch1 digital 1 = elephant, ch2 analog 91 = 0.91
    expect(decodeLpp('cam', hex('01 00 01 02 02 00 5B'))).toEqual({
      ok: true,
      value: { label: 'elephant', conf: 0.91 },
    });
    // seis: pgv 0.82, f 8.5
    expect(decodeLpp('seis', hex('01 02 00 52 02 02 03 52'))).toEqual({
      ok: true,
      value: { pgv: 0.82, f: 8.5 },
    });
    // hb: temperature -3.5 °C (0xFFDD), bat 3.70
    expect(decodeLpp('hb', hex('09 67 FF DD 08 02 01 72'))).toEqual({
      ok: true,
      value: { temp: -3.5, bat: 3.7 },
    });
    // gps: lat -4.9271 (0xFF3F89), lon 105.7823 (0x10241F), alt 0
    expect(decodeLpp('gps', hex('01 88 FF 3F 89 10 24 1F 00 00 00'))).toEqual({
      ok: true,
      value: { lat: -4.9271, lon: 105.7823 },
    });
    expect(decodeLpp('fence', hex('01 02 00 D2'))).toEqual({ ok: true, value: { kv: 2.1 } });
    expect(decodeLpp('btn', hex('01 00 01'))).toEqual({ ok: true, value: { p: 1 } });
    expect(decodeLpp('beam', hex('01 00 00'))).toEqual({ ok: true, value: { cut: 0 } });
  });

  it('maps every camera label code', () => {
    const labels = ['unknown', 'elephant', 'human', 'animal', 'vehicle'];
    labels.forEach((label, code) => {
      const r = decodeLpp('cam', Buffer.from([1, 0, code, 2, 2, 0, 50]));
      expect(r).toEqual({ ok: true, value: { label, conf: 0.5 } });
    });
    expect(decodeLpp('cam', Buffer.from([1, 0, 5, 2, 2, 0, 50]))).toMatchObject({
      ok: false,
      reason: 'bad_lpp',
    });
  });

  it.each([
    ['truncated record', 'pir', '01 00'],
    ['truncated header', 'pir', '01 00 03 08'],
    ['unknown LPP type', 'pir', '01 65 00 10'],
    ['channel not used by the type', 'hb', '01 00 01'],
    ['right channel, wrong LPP type', 'pir', '01 02 00 03'],
    ['repeated channel', 'pir', '01 00 03 01 00 04'],
  ])('rejects %s as bad_lpp', (_what, type, payload) => {
    expect(decodeLpp(type as ReadingType, hex(payload))).toMatchObject({ ok: false, reason: 'bad_lpp' });
  });

  it('applies the shared field rules after decoding', () => {
    expect(decodeLpp('pir', hex('08 02 01 73'))).toMatchObject({
      ok: false,
      reason: 'missing_field',
      detail: 'n',
    });
    expect(decodeLpp('beam', hex('01 00 07'))).toMatchObject({ ok: false, reason: 'bad_value' });
    expect(decodeLpp('cam', hex('01 00 01 02 02 00 FA'))).toMatchObject({ ok: false, reason: 'bad_value' });
  });

  it('round-trips encode → decode at LPP resolution', () => {
    const cases: [ReadingType, Values][] = [
      ['hb', { bat: 3.95, temp: 31.4 }],
      ['pir', { n: 3, bat: 3.71 }],
      ['seis', { pgv: 0.82, f: 8.5 }],
      ['beam', { cut: 1, bat: 3.6 }],
      ['cam', { label: 'human', conf: 0.77, bat: 3.9 }],
      ['fence', { kv: 6.25, bat: 12.6 }],
      ['gps', { lat: -4.9271, lon: 105.7823, bat: 3.95 }],
      ['btn', { p: 0 }],
    ];
    for (const [type, v] of cases) {
      const enc = encodeLpp(type, v);
      expect(enc.ok).toBe(true);
      if (enc.ok) expect(decodeLpp(type, enc.value)).toEqual({ ok: true, value: v });
    }
  });

  it('refuses to encode a field it has no channel for', () => {
    expect(encodeLpp('gps', { lat: 1, lon: 2, hdop: 1.2 })).toMatchObject({ ok: false, reason: 'bad_lpp' });
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FPORT_TYPES.values()),
        fc.uint8Array({ maxLength: 40 }),
        (type, bytes) => {
          const r = decodeLpp(type, bytes);
          expect(typeof r.ok).toBe('boolean');
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('SG1 body codec', () => {
  const ascii = (s: string) => Buffer.from(s, 'latin1');

  it('parses key=value pairs, numbers where they parse', () => {
    expect(decodeSg1Body('pir', ascii('n=3,bat=3.71'))).toEqual({ ok: true, value: { n: 3, bat: 3.71 } });
    expect(decodeSg1Body('cam', ascii('label=elephant,conf=0.91,bat=3.90'))).toEqual({
      ok: true,
      value: { label: 'elephant', conf: 0.91, bat: 3.9 },
    });
    expect(decodeSg1Body('gps', ascii('lat=-4.9271,lon=105.7823,hdop=1.2'))).toEqual({
      ok: true,
      value: { lat: -4.9271, lon: 105.7823, hdop: 1.2 },
    });
    expect(decodeSg1Body('hb', ascii(''))).toEqual({ ok: true, value: {} });
  });

  it.each(['n', 'n=', '=3', 'n=3,,bat=1', 'n=3,n=4', 'N=3', 'n=3\n', 'n=\u00e93'])(
    'rejects %j as bad_sg1',
    (s) => {
      expect(decodeSg1Body('pir', ascii(s))).toMatchObject({ ok: false, reason: 'bad_sg1' });
    },
  );

  it('applies the shared field rules', () => {
    expect(decodeSg1Body('cam', ascii('label=tiger,conf=0.9'))).toMatchObject({
      ok: false,
      reason: 'bad_value',
    });
    expect(decodeSg1Body('pir', ascii('bat=3.7'))).toMatchObject({ ok: false, reason: 'missing_field' });
  });

  it('round-trips', () => {
    const v = { label: 'elephant', conf: 0.91, bat: 3.9 };
    const enc = encodeSg1Body('cam', v);
    expect(enc.ok && enc.value.toString()).toBe('label=elephant,conf=0.91,bat=3.9');
    if (enc.ok) expect(decodeSg1Body('cam', enc.value)).toEqual({ ok: true, value: v });
  });
});
