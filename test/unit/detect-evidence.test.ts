import { describe, expect, it } from 'vitest';
import { haversineM, isFenceOk, scoreReading } from '../../src/detect/index.js';
import type { Values } from '../../src/domain/index.js';
import { BRAJA_CENTER, makeConfig, makeDefaultConfig, reading, T0 } from '../fixtures/detect.js';
import { must } from '../helpers/must.js';

const cfg = makeConfig();
const det = cfg.detection;
const braja = must(
  cfg.zones.find((z) => z.id === 'z-braja'),
  'zone z-braja',
);
const tegal = must(
  cfg.zones.find((z) => z.id === 'z-tegal'),
  'zone z-tegal',
);
const nodeOf = (id: string) =>
  must(
    cfg.nodes.find((n) => n.id === id),
    `node ${id}`,
  );

function score(node: string, v: Values, zone = braja, d = det) {
  const n = nodeOf(node);
  return scoreReading(reading(node, n.type, v, T0), n, zone, d);
}

/** A point `m` metres north of the zone centre. */
const north = (m: number): Values => ({ lat: BRAJA_CENTER[0] + m / 111_195, lon: BRAJA_CENTER[1] });

describe('scoreReading: default score table (docs/behaviour.md), as tuned by bench:detect', () => {
  const defaults = makeDefaultConfig().detection;
  const table: Array<[string, string, Values, number | undefined, boolean?]> = [
    ['cam elephant conf 0.91', 'cam-02', { label: 'elephant', conf: 0.91 }, 63.7, true],
    ['cam elephant conf 1', 'cam-02', { label: 'elephant', conf: 1 }, 70, true],
    ['cam elephant at min_conf 0.6', 'cam-02', { label: 'elephant', conf: 0.6 }, 42, true],
    ['cam elephant just below min_conf', 'cam-02', { label: 'elephant', conf: 0.5999 }, undefined],
    ['cam elephant without conf', 'cam-02', { label: 'elephant' }, undefined],
    ['cam human (recorded, 0)', 'cam-02', { label: 'human', conf: 0.8 }, 0, true],
    ['cam human low conf still recorded', 'cam-02', { label: 'human', conf: 0.2 }, 0, true],
    ['cam animal', 'cam-02', { label: 'animal', conf: 0.99 }, undefined],
    ['cam vehicle', 'cam-02', { label: 'vehicle', conf: 0.99 }, undefined],
    ['cam unknown', 'cam-02', { label: 'unknown', conf: 0.99 }, undefined],
    ['seis at threshold 0.2 (a node reports from its trigger)', 'seis-03', { pgv: 0.2 }, 6, false],
    ['seis strong', 'seis-03', { pgv: 0.82, f: 8.5 }, 6, false],
    ['seis below threshold (the quiet ground)', 'seis-03', { pgv: 0.19 }, undefined],
    ['seis without pgv', 'seis-03', { f: 8 }, undefined],
    ['beam cut=1', 'beam-11', { cut: 1, bat: 3.6 }, 40, false],
    ['beam cut=0 (restored)', 'beam-11', { cut: 0 }, undefined],
    ['pir n=1', 'pir-07', { n: 1 }, 5, false],
    ['pir n=2', 'pir-07', { n: 2 }, 10, false],
    ['pir n=3', 'pir-07', { n: 3 }, 15, false],
    ['pir n=4 capped per frame at 20', 'pir-07', { n: 4 }, 20, false],
    ['pir n=50 capped per frame at 20', 'pir-07', { n: 50 }, 20, false],
    ['pir n=0', 'pir-07', { n: 0 }, undefined],
    ['fence 2.1 kV', 'fence-01', { kv: 2.1, bat: 12.6 }, 5, false],
    ['fence 0 kV', 'fence-01', { kv: 0 }, 5, false],
    ['fence at 4.0 kV is fine', 'fence-01', { kv: 4.0 }, undefined],
    ['fence 7 kV', 'fence-01', { kv: 7 }, undefined],
    ['gps at centre', 'col-ek1', { lat: BRAJA_CENTER[0], lon: BRAJA_CENTER[1] }, 60, true],
    ['gps 1400 m away (inside 1500)', 'col-ek1', north(1400), 60, true],
    ['gps 1600 m away (outside)', 'col-ek1', north(1600), undefined],
    ['gps far away', 'col-ek1', { lat: -5.4, lon: 105.26 }, undefined],
    ['btn p=1', 'btn-pos1', { p: 1 }, 0, true],
    ['btn p=0', 'btn-pos1', { p: 0 }, 0, true],
    ['hb', 'pir-07', { bat: 3.7, rssi: -71 }, undefined],
    ['text where a number belongs', 'seis-03', { pgv: 'lots' }, undefined],
  ];
  it.each(table)('%s', (_name, node, v, expected, strong) => {
    const n = nodeOf(node);
    const type = _name === 'hb' ? 'hb' : n.type;
    const ev = scoreReading(reading(node, type, v, T0), n, braja, defaults);
    if (expected === undefined) {
      expect(ev).toBeUndefined();
      return;
    }
    const e = must(ev, `evidence from ${node}`);
    expect(e.score).toBeCloseTo(expected, 6);
    expect(e.strong).toBe(strong);
    expect(e.node).toBe(node);
    expect(e.ts).toBe(T0);
    expect(e.type).toBe(n.type);
  });
});

describe('scoreReading: details', () => {
  it('describes what was seen in a short text', () => {
    expect(score('cam-02', { label: 'elephant', conf: 0.91 })?.text).toBe(
      'cam-02 saw an elephant (conf 0.91)',
    );
    expect(score('cam-02', { label: 'human', conf: 0.8 })?.text).toBe('cam-02 saw a human (conf 0.8)');
    expect(score('seis-03', { pgv: 0.82 })?.text).toBe('seis-03 footfall (pgv 0.82 mm/s)');
    expect(score('pir-07', { n: 3 })?.text).toBe('pir-07 motion ×3');
    expect(score('beam-11', { cut: 1 })?.text).toBe('beam-11 beam cut');
    expect(score('fence-01', { kv: 2.1 })?.text).toBe('fence-01 fence low (2.1 kV)');
    expect(score('btn-pos1', { p: 1 })?.text).toBe('btn-pos1 panic button pressed');
    expect(score('col-ek1', north(500))?.text).toMatch(/^col-ek1 inside z-braja \(50\d m from centre\)$/);
  });

  it('pir carries its detection count', () => {
    expect(score('pir-07', { n: 3 })?.count).toBe(3);
    expect(score('seis-03', { pgv: 1 })?.count).toBe(1);
  });

  it('btn p=1 is a manual alarm, p=0 its cancel', () => {
    expect(score('btn-pos1', { p: 1 })?.manual).toBe('alarm');
    expect(score('btn-pos1', { p: 0 })?.manual).toBe('cancel');
    expect(score('btn-pos1', { p: 2 })).toBeUndefined();
    expect(score('cam-02', { label: 'elephant', conf: 0.9 })?.manual).toBeUndefined();
  });

  it('a low fence carries a fence_low notice for its zone', () => {
    expect(score('fence-01', { kv: 0.5 })?.notice).toEqual({
      kind: 'fence_low',
      zone: 'z-braja',
      node: 'fence-01',
      fields: { kv: 0.5, min_kv: 4 },
    });
    expect(score('seis-03', { pgv: 1 })?.notice).toBeUndefined();
  });

  it('isFenceOk re-arms the notice only for a healthy fence reading', () => {
    const n = nodeOf('fence-01');
    expect(isFenceOk(reading(n.id, 'fence', { kv: 6 }, T0), det)).toBe(true);
    expect(isFenceOk(reading(n.id, 'fence', { kv: 4 }, T0), det)).toBe(true);
    expect(isFenceOk(reading(n.id, 'fence', { kv: 3.9 }, T0), det)).toBe(false);
    expect(isFenceOk(reading('pir-07', 'pir', { n: 1 }, T0), det)).toBe(false);
  });

  it('ignores readings of another type than the node is configured for', () => {
    const pirNode = nodeOf('pir-07');
    expect(scoreReading(reading('pir-07', 'btn', { p: 1 }, T0), pirNode, braja, det)).toBeUndefined();
    expect(
      scoreReading(reading('pir-07', 'cam', { label: 'elephant', conf: 1 }, T0), pirNode, braja, det),
    ).toBeUndefined();
    expect(scoreReading(reading('pir-07', 'pir', { n: 1 }, T0), pirNode, braja, det)?.score).toBe(10);
  });

  it('gps scores nothing in a zone without a centre', () => {
    expect(score('col-ek2', { lat: -4.93, lon: 105.78 }, tegal)).toBeUndefined();
  });

  it('uses the configured weights and thresholds', () => {
    const d = makeConfig({
      min_conf: 0.8,
      seis_min_pgv: 1,
      fence_min_kv: 5,
      weights: {
        cam_elephant: 100,
        cam_human: 15,
        seis: 12,
        beam: 7,
        pir_per_detection: 4,
        pir_max_per_frame: 10,
        fence_low: 33,
        gps_inside: 55,
      },
    }).detection;
    expect(score('cam-02', { label: 'elephant', conf: 0.79 }, braja, d)).toBeUndefined();
    expect(score('cam-02', { label: 'elephant', conf: 0.8 }, braja, d)?.score).toBe(80);
    expect(score('cam-02', { label: 'human', conf: 0.9 }, braja, d)?.score).toBe(15);
    expect(score('seis-03', { pgv: 0.9 }, braja, d)).toBeUndefined();
    expect(score('seis-03', { pgv: 1 }, braja, d)?.score).toBe(12);
    expect(score('beam-11', { cut: 1 }, braja, d)?.score).toBe(7);
    expect(score('pir-07', { n: 2 }, braja, d)?.score).toBe(8);
    expect(score('pir-07', { n: 3 }, braja, d)?.score).toBe(10);
    expect(score('fence-01', { kv: 4.5 }, braja, d)?.score).toBe(33);
    expect(score('col-ek1', north(10), braja, d)?.score).toBe(55);
  });

  it('gps radius follows the zone config', () => {
    const small = { ...braja, radius_m: 100 };
    expect(score('col-ek1', north(90), small)).toBeDefined();
    expect(score('col-ek1', north(110), small)).toBeUndefined();
  });
});

describe('haversineM', () => {
  it.each([
    ['same point', [-4.93, 105.78], [-4.93, 105.78], 0, 1e-9],
    ['one degree of latitude', [0, 0], [1, 0], 111_195, 1],
    ['one degree of longitude at the equator', [0, 100], [0, 101], 111_195, 1],
    ['Way Kambas → Bandar Lampung', [-4.93, 105.78], [-5.4294, 105.2625], 79_700, 500],
    ['antipodes', [0, 0], [0, 180], Math.PI * 6_371_008.8, 1],
  ] as const)('%s', (_n, a, b, metres, tol) => {
    expect(Math.abs(haversineM(a, b) - metres)).toBeLessThanOrEqual(tol);
    expect(Math.abs(haversineM(b, a) - metres)).toBeLessThanOrEqual(tol);
  });
});
