import { describe, expect, it } from 'vitest';
import { DetectionEngine } from '../../src/detect/index.js';
import type { ReadingType, Values } from '../../src/domain/index.js';
import { ManualClock } from '../../src/domain/index.js';
import { BRAJA_CENTER, MIN, makeConfig, NODES, reading, rig, S, T0 } from '../fixtures/detect.js';

type Send = [node: string, type: ReadingType, v: Values];
const cam = (conf: number, node = 'cam-02'): Send => [node, 'cam', { label: 'elephant', conf }];
const seis = (node = 'seis-03'): Send => [node, 'seis', { pgv: 0.82 }];
const pir = (n: number, node = 'pir-07'): Send => [node, 'pir', { n }];
const beam: Send = ['beam-11', 'beam', { cut: 1 }];
const fence = (kv: number): Send => ['fence-01', 'fence', { kv }];
const gpsAt = (m: number): Send => [
  'col-ek1',
  'gps',
  { lat: BRAJA_CENTER[0] + m / 111_195, lon: BRAJA_CENTER[1] },
];
const btn = (p: number, node = 'btn-pos1'): Send => [node, 'btn', { p }];

describe('DetectionEngine: what counts', () => {
  it('ignores unknown nodes, nodes of unknown zones and heartbeats', () => {
    const r = rig();
    expect(r.engine.onReading(reading('ghost-1', 'beam', { cut: 1 }, T0))).toEqual({
      changes: [],
      retriggered: [],
      notices: [],
    });
    expect(r.send('orphan-1', 'pir', { n: 5 }).changes).toEqual([]);
    expect(r.send('pir-07', 'hb', { bat: 3.7 }).changes).toEqual([]);
    expect(r.engine.zones().map((z) => [z.zone, z.level, z.score])).toEqual([
      ['z-braja', 'NORMAL', 0],
      ['z-tegal', 'NORMAL', 0],
    ]);
    expect(r.engine.level('z-gone')).toBeUndefined();
    expect(r.engine.score('z-gone')).toBeUndefined();
  });

  // Readings sent in order at the same instant → final score and level.
  const table: Array<[string, Send[], number, string]> = [
    ['nothing', [], 0, 'NORMAL'],
    ['pir n=2 alone', [pir(2)], 20, 'NORMAL'],
    ['beam cut = WASPADA threshold', [beam], 30, 'WASPADA'],
    ['two geophones', [seis(), seis('seis-04')], 50, 'WASPADA'],
    ['two geophones + pir n=1 = SIAGA threshold', [seis(), seis('seis-04'), pir(1)], 60, 'SIAGA'],
    ['cam conf 0.91', [cam(0.91)], 63.7, 'SIAGA'],
    ['cam conf 0.59 (below min_conf)', [cam(0.59)], 0, 'NORMAL'],
    ['cam 1.0 + beam = AWAS threshold', [cam(1), beam], 100, 'AWAS'],
    ['cam 0.91 + beam just below AWAS', [cam(0.91), beam], 93.7, 'SIAGA'],
    ['cam human', [['cam-05', 'cam', { label: 'human', conf: 0.9 }]], 0, 'NORMAL'],
    ['gps inside', [gpsAt(300)], 80, 'SIAGA'],
    ['gps outside', [gpsAt(2000)], 0, 'NORMAL'],
    ['gps inside + pir', [gpsAt(300), pir(2)], 100, 'AWAS'],
    ['fence low', [fence(0.5)], 40, 'WASPADA'],
    ['fence ok', [fence(7)], 0, 'NORMAL'],
    // node_cap: one node's non-strong evidence counts at most 40
    ['pir n=2 ×5 capped at 40', Array(5).fill(pir(2)), 40, 'WASPADA'],
    ['seis ×3 capped at 40', [seis(), seis(), seis()], 40, 'WASPADA'],
    ['beam ×4 capped at 40', [beam, beam, beam, beam], 40, 'WASPADA'],
    ['fence ×3 capped at 40', [fence(1), fence(1), fence(1)], 40, 'WASPADA'],
    ['two capped geophones', [seis(), seis(), seis(), seis('seis-04'), seis('seis-04')], 80, 'SIAGA'],
    ['three capped nodes', [...Array(3).fill(seis()), ...Array(3).fill(pir(2)), beam, beam], 120, 'AWAS'],
    // strong evidence is not capped
    ['cam ×2 uncapped', [cam(1), cam(1)], 140, 'AWAS'],
    ['gps ×2 uncapped', [gpsAt(10), gpsAt(20)], 160, 'AWAS'],
  ];
  it.each(table)('%s', (_name, sends, score, level) => {
    const r = rig();
    for (const s of sends) r.send(...s);
    expect(r.engine.score('z-braja')).toBe(score);
    expect(r.engine.level('z-braja')).toBe(level);
    expect(r.engine.level('z-tegal')).toBe('NORMAL');
  });

  it('uses configured thresholds and node_cap', () => {
    const r = rig({ node_cap: 25, thresholds: { waspada: 20, siaga: 45, awas: 70 } });
    r.send(...pir(2));
    expect(r.engine.level('z-braja')).toBe('WASPADA');
    r.send(...pir(2));
    expect(r.engine.score('z-braja')).toBe(25);
    r.send(...seis());
    expect(r.engine.level('z-braja')).toBe('SIAGA');
    r.send(...cam(0.6));
    expect(r.engine.level('z-braja')).toBe('AWAS');
  });
});

describe('DetectionEngine: escalation', () => {
  it('escalates immediately on the reading that crosses, several levels at once', () => {
    const r = rig();
    expect(r.send(...pir(2)).changes).toEqual([]);
    const out = r.send(...gpsAt(100));
    expect(out.changes).toHaveLength(1);
    expect(out.changes[0]).toMatchObject({
      zone: 'z-braja',
      level: 'AWAS',
      prev: 'NORMAL',
      score: 100,
      nodes: ['col-ek1', 'pir-07'],
      ts: T0,
      allClear: false,
      manual: false,
    });
  });

  it('describes the change: what was seen, by whom, strongest first', () => {
    const r = rig();
    r.send(...seis());
    r.send(...seis());
    r.send(...seis());
    r.send(...pir(1, 'pir-08'));
    const c = r.send(...cam(0.91)).changes[0];
    expect(c?.level).toBe('AWAS');
    expect(c?.prev).toBe('WASPADA');
    expect(c?.nodes).toEqual(['cam-02', 'seis-03', 'pir-08']);
    expect(c?.reason).toBe(
      'AWAS: cam-02 saw an elephant (conf 0.91); seis-03 footfalls ×3 (40); pir-08 motion ×1; score 113.7',
    );
  });

  it('each step up is one change event', () => {
    const r = rig();
    const sends = [beam, seis(), seis('seis-04'), cam(0.7)];
    const levels = sends.flatMap((s) => r.send(...s).changes.map((c) => `${c.prev}→${c.level}`));
    expect(levels).toEqual(['NORMAL→WASPADA', 'WASPADA→SIAGA', 'SIAGA→AWAS']);
  });

  it('never lowers a level on a reading', () => {
    const r = rig();
    r.send(...cam(1));
    r.send(...beam);
    r.run(601 * S, 601 * S);
    expect(r.engine.score('z-braja')).toBe(0);
    expect(r.send(...fence(7)).changes).toEqual([]);
    expect(r.send(...pir(1)).changes).toEqual([]);
    expect(r.engine.level('z-braja')).toBe('AWAS');
  });

  it('retriggers a zone at WASPADA or above on new scoring evidence, not otherwise', () => {
    const r = rig();
    expect(r.send(...pir(1)).retriggered).toEqual([]); // 10, NORMAL
    expect(r.send(...beam).retriggered).toEqual([]); // 40 → WASPADA: a change, not a retrigger
    expect(r.send(...pir(1, 'pir-08')).retriggered).toEqual(['z-braja']); // 50
    expect(r.send('cam-05', 'cam', { label: 'human', conf: 0.9 }).retriggered).toEqual([]); // 0 points
    expect(r.send(...pir(1)).changes.map((c) => c.level)).toEqual(['SIAGA']); // 60
    expect(r.send(...beam).retriggered).toEqual(['z-braja']); // beam-11 30 → 40 (its cap)
    expect(r.send(...beam).retriggered).toEqual([]); // beam-11 already at its cap
    expect(r.send(...fence(7)).retriggered).toEqual([]);
  });
});

describe('DetectionEngine: window and clocks', () => {
  it('evidence counts for window_s, then expires', () => {
    const r = rig();
    r.send(...beam);
    r.run(599 * S);
    expect(r.engine.score('z-braja')).toBe(30);
    r.run(1 * S);
    expect(r.engine.score('z-braja')).toBe(0);
  });

  it('expired evidence no longer counts towards escalation even before a tick', () => {
    const r = rig();
    r.send(...seis());
    r.clock.advance(600 * S);
    r.send(...seis('seis-04'));
    expect(r.engine.score('z-braja')).toBe(25);
    expect(r.engine.level('z-braja')).toBe('NORMAL');
  });

  it('ignores evidence older than the window (a node clock far behind)', () => {
    const r = rig();
    const out = r.engine.onReading(reading('beam-11', 'beam', { cut: 1 }, T0 - 600 * S));
    expect(out.changes).toEqual([]);
    expect(r.engine.score('z-braja')).toBe(0);
    r.engine.onReading(reading('beam-11', 'beam', { cut: 1 }, T0 - 599 * S));
    expect(r.engine.score('z-braja')).toBe(30);
    r.run(1 * S);
    expect(r.engine.score('z-braja')).toBe(0);
  });

  it('clamps evidence from the future to now (a node clock ahead)', () => {
    const r = rig();
    r.engine.onReading(reading('beam-11', 'beam', { cut: 1 }, T0 + 3_600 * S));
    expect(r.engine.score('z-braja')).toBe(30);
    r.run(600 * S, 10 * S);
    expect(r.engine.score('z-braja')).toBe(0);
  });

  it('late readings out of order still expire in ts order', () => {
    const r = rig();
    r.clock.advance(100 * S);
    r.engine.onReading(reading('seis-03', 'seis', { pgv: 1 }, T0 + 100 * S));
    r.engine.onReading(reading('seis-03', 'seis', { pgv: 1 }, T0 + 10 * S));
    expect(r.engine.score('z-braja')).toBe(40);
    r.run(510 * S, 10 * S); // the late one (ts T0+10s) expires first
    expect(r.engine.score('z-braja')).toBe(25);
    r.run(90 * S, 10 * S);
    expect(r.engine.score('z-braja')).toBe(0);
  });

  it('a reading within the window of a restored-to-healthy node still counts: the cap is per window', () => {
    const r = rig();
    r.send(...seis());
    r.send(...seis());
    r.clock.advance(300 * S);
    r.send(...seis());
    expect(r.engine.score('z-braja')).toBe(40);
    r.run(300 * S);
    expect(r.engine.score('z-braja')).toBe(25);
  });
});

describe('DetectionEngine: de-escalation', () => {
  const toAwas = () => {
    const r = rig();
    r.send(...cam(1));
    r.send(...beam);
    expect(r.engine.level('z-braja')).toBe('AWAS');
    return r;
  };

  it('steps down one level at a time, each after hold_s below the current threshold, then all-clear', () => {
    const r = toAwas();
    const changes = r.run(60 * MIN);
    expect(changes.map((c) => [c.prev, c.level, (c.ts - T0) / S, c.allClear, c.manual])).toEqual([
      // evidence expires at 600 s; score 0 < 100 from then on
      ['AWAS', 'SIAGA', 1500, false, false],
      ['SIAGA', 'WASPADA', 2400, false, false],
      ['WASPADA', 'NORMAL', 3300, true, false],
    ]);
    expect(changes[2]?.reason).toBe('NORMAL: all clear — score 0 stayed below WASPADA (30) for 900 s');
    expect(changes[0]?.reason).toBe('SIAGA: score 0 stayed below AWAS (100) for 900 s');
  });

  it('does not step down before hold_s', () => {
    const r = toAwas();
    expect(r.run(1499 * S)).toEqual([]);
    expect(r.engine.level('z-braja')).toBe('AWAS');
    expect(r.run(1 * S).map((c) => c.level)).toEqual(['SIAGA']);
  });

  it('does not step two levels in one tick even after a long gap without ticks', () => {
    const r = toAwas();
    r.clock.advance(5 * 3_600 * S);
    expect(r.engine.tick().changes.map((c) => c.level)).toEqual(['SIAGA']);
    expect(r.engine.tick().changes).toEqual([]); // the hold restarted
    r.clock.advance(900 * S);
    expect(r.engine.tick().changes.map((c) => c.level)).toEqual(['WASPADA']);
  });

  it('the hold starts when the score really fell below, not at the next tick', () => {
    const r = rig();
    r.send(...cam(1)); // expires at 600 s
    r.clock.advance(100 * S);
    r.send(...beam); // 100 → AWAS; beam expires at 700 s
    r.clock.advance(650 * S);
    expect(r.engine.tick().changes).toEqual([]); // first tick after a pause: below since 600 s
    r.clock.set(T0 + 1499 * S);
    expect(r.engine.tick().changes).toEqual([]);
    r.clock.set(T0 + 1500 * S);
    expect(r.engine.tick().changes.map((c) => c.level)).toEqual(['SIAGA']);
  });

  it('holds a level while the score stays at or above its threshold', () => {
    const r = rig();
    r.send(...beam);
    // a fresh beam every 5 minutes keeps WASPADA (30 ≥ 30) for two hours
    for (let i = 0; i < 24; i++) {
      expect(r.run(5 * MIN)).toEqual([]);
      r.send(...beam);
    }
    expect(r.engine.level('z-braja')).toBe('WASPADA');
  });

  it('steps down from AWAS while evidence still justifies SIAGA, and stops there', () => {
    const r = toAwas(); // cam 1.0 + beam = 100
    const changes = [];
    // the camera keeps seeing the elephant every 5 min (2 × 49 = 98 in the window: SIAGA, not AWAS)
    for (let i = 0; i < 12; i++) {
      changes.push(...r.run(5 * MIN));
      r.send(...cam(0.7));
    }
    expect(changes.map((c) => [c.level, (c.ts - T0) / S])).toEqual([['SIAGA', 1500]]);
    expect(changes[0]?.reason).toBe(
      // at 1500 s the sighting of 900 s has just expired; the one of 1500 s comes right after
      'SIAGA: score 49 stayed below AWAS (100) for 900 s; still: cam-02 saw an elephant (conf 0.7)',
    );
    expect(r.engine.level('z-braja')).toBe('SIAGA');
  });

  it('restarts the hold when the score rises to the threshold again', () => {
    const r = toAwas();
    r.run(1200 * S); // below since 600 s, 600 s into the hold
    expect(r.send(...cam(1)).retriggered).toEqual(['z-braja']);
    expect(r.send(...beam).retriggered).toEqual(['z-braja']); // back at 100 ≥ AWAS: hold cleared
    // this evidence expires at 1800 s → earliest step down at 2700 s, not at 1500 s
    const changes = r.run(1500 * S);
    expect(changes.map((c) => [c.level, (c.ts - T0) / S])).toEqual([['SIAGA', 2700]]);
  });

  it('does not restart the hold when the score rises but stays below the threshold', () => {
    const r = toAwas();
    r.run(1200 * S);
    r.send(...seis()); // 25 < 100
    expect(r.run(300 * S).map((c) => [c.level, (c.ts - T0) / S])).toEqual([['SIAGA', 1500]]);
  });

  it('a score dipping below the threshold briefly starts the hold from the dip', () => {
    const r = rig();
    r.send(...beam); // WASPADA, 30
    r.run(600 * S); // expires: below since 600 s
    r.run(100 * S);
    r.send(...beam); // back to 30: hold cleared at 700 s
    // expires at 1300 s; step down at 2200 s
    expect(r.run(40 * MIN).map((c) => [c.level, (c.ts - T0) / S])).toEqual([['NORMAL', 2200]]);
  });

  it('hold_s = 0 steps down one level per tick', () => {
    const r = rig({ hold_s: 0 });
    r.send(...cam(1));
    r.send(...beam);
    r.clock.advance(600 * S);
    expect(r.engine.tick().changes.map((c) => c.level)).toEqual(['SIAGA']);
    expect(r.engine.tick().changes.map((c) => c.level)).toEqual(['WASPADA']);
    expect(r.engine.tick().changes.map((c) => c.level)).toEqual(['NORMAL']);
    expect(r.engine.tick().changes).toEqual([]);
  });
});

describe('DetectionEngine: panic button', () => {
  it('btn p=1 → AWAS immediately, manual', () => {
    const r = rig();
    const c = r.send(...btn(1)).changes;
    expect(c).toHaveLength(1);
    expect(c[0]).toMatchObject({
      level: 'AWAS',
      prev: 'NORMAL',
      manual: true,
      score: 0,
      nodes: ['btn-pos1'],
    });
    expect(c[0]?.reason).toBe('AWAS: manual alarm: btn-pos1 panic button pressed; score 0');
    expect(r.engine.zones()[0]).toMatchObject({ zone: 'z-braja', level: 'AWAS', manual: true, since: T0 });
  });

  it('lists the button first in a manual alarm', () => {
    const r = rig();
    r.send(...seis());
    expect(r.send(...btn(1)).changes[0]?.nodes).toEqual(['btn-pos1', 'seis-03']);
  });

  it('holds a manual AWAS for hold_s after the press, then normal de-escalation', () => {
    const r = rig();
    r.send(...btn(1));
    expect(r.run(899 * S)).toEqual([]);
    expect(r.run(1 * S).map((c) => [c.level, c.manual])).toEqual([['SIAGA', false]]);
    expect(r.engine.zones()[0]?.manual).toBe(false);
  });

  it('a second press extends the manual hold', () => {
    const r = rig();
    r.send(...btn(1));
    r.run(600 * S);
    const out = r.send(...btn(1, 'btn-pos2'));
    expect(out.changes).toEqual([]);
    expect(out.retriggered).toEqual(['z-braja']);
    expect(out.pressed).toEqual(['z-braja']); // the sirens treat it as a new manual alarm
    expect(r.run(899 * S)).toEqual([]);
    expect(r.run(1 * S).map((c) => [c.level, (c.ts - T0) / S])).toEqual([['SIAGA', 1500]]);
  });

  it('btn p=0 from the same zone cancels the manual hold: normal de-escalation applies', () => {
    const r = rig();
    r.send(...btn(1));
    r.run(600 * S);
    r.send(...btn(1)); // would hold until 1500 s
    r.run(100 * S);
    const out = r.send(...btn(0, 'btn-pos2'));
    expect(out.changes).toEqual([]);
    expect(r.engine.zones()[0]?.manual).toBe(false);
    // below AWAS since the first press (score 0) → steps down at 900 s
    expect(r.run(200 * S).map((c) => [c.level, (c.ts - T0) / S])).toEqual([['SIAGA', 900]]);
  });

  it('a cancel from another zone does not cancel', () => {
    const r = rig();
    r.send(...btn(1));
    r.run(600 * S);
    r.send(...btn(1));
    r.send(...btn(0, 'btn-90'));
    expect(r.engine.zones()[0]?.manual).toBe(true);
    expect(r.run(899 * S)).toEqual([]);
    expect(r.engine.level('z-braja')).toBe('AWAS');
  });

  it('a press while already at AWAS is a retrigger, and the zone becomes manual', () => {
    const r = rig();
    r.send(...cam(1));
    r.send(...beam);
    const out = r.send(...btn(1));
    expect(out).toEqual({
      changes: [],
      retriggered: ['z-braja'],
      pressed: ['z-braja'],
      notices: [],
      evidence: true,
    });
    expect(r.engine.zones()[0]?.manual).toBe(true);
  });

  it('a cancel does not lower a level the score justifies', () => {
    const r = rig();
    r.send(...btn(1));
    r.send(...cam(1));
    r.send(...beam);
    r.send(...btn(0));
    expect(r.engine.level('z-braja')).toBe('AWAS');
    expect(r.run(899 * S)).toEqual([]);
  });
});

describe('DetectionEngine: fence', () => {
  it('a low fence raises a fence_low notice once until the fence recovers', () => {
    const r = rig();
    const first = r.send(...fence(0.5));
    expect(first.notices).toEqual([
      { kind: 'fence_low', zone: 'z-braja', node: 'fence-01', fields: { kv: 0.5, min_kv: 4 } },
    ]);
    expect(first.changes.map((c) => c.level)).toEqual(['WASPADA']);
    expect(r.send(...fence(0.4)).notices).toEqual([]);
    r.send(...fence(7));
    expect(r.send(...fence(0.3)).notices).toHaveLength(1);
  });

  it('notifies again when the low fence evidence had left the window', () => {
    const r = rig();
    r.send(...fence(1));
    r.run(600 * S);
    expect(r.send(...fence(1)).notices).toHaveLength(1);
  });
});

describe('DetectionEngine: restore after restart', () => {
  it('rebuilds evidence from readings inside the window without a change per reading', () => {
    const clock = new ManualClock(T0);
    const engine = new DetectionEngine({ config: makeConfig(), clock });
    const out = engine.restore([
      reading('beam-11', 'beam', { cut: 1 }, T0 - 50 * S),
      reading('cam-02', 'cam', { label: 'elephant', conf: 1 }, T0 - 100 * S),
      reading('pir-07', 'pir', { n: 2 }, T0 - 700 * S), // outside the window
      reading('fence-01', 'fence', { kv: 1 }, T0 - 30 * S),
    ]);
    expect(out.notices).toEqual([]);
    expect(out.retriggered).toEqual([]);
    expect(out.changes.map((c) => [c.zone, c.prev, c.level, c.score])).toEqual([
      ['z-braja', 'NORMAL', 'AWAS', 140],
    ]);
    expect(out.changes[0]?.reason).toMatch(/\(restored after restart\)$/);
    expect(engine.score('z-braja')).toBe(140);
    // the restored fence evidence does not repeat its notice
    expect(engine.onReading(reading('fence-01', 'fence', { kv: 1 }, T0)).notices).toEqual([]);
    // evidence expires by its original ts: cam at 500 s
    clock.advance(500 * S);
    engine.tick();
    expect(engine.score('z-braja')).toBe(70);
  });

  it('keeps saved levels; the hold of a level below its threshold starts at the restore', () => {
    const clock = new ManualClock(T0);
    const engine = new DetectionEngine({ config: makeConfig(), clock });
    const out = engine.restore([], {
      'z-braja': { level: 'SIAGA', since: T0 - 3_600 * S },
      'z-gone': { level: 'AWAS', since: 0 },
    });
    expect(out.changes).toEqual([]);
    expect(engine.zones().map((z) => [z.zone, z.level, z.since])).toEqual([
      ['z-braja', 'SIAGA', T0 - 3_600 * S],
      ['z-tegal', 'NORMAL', T0],
    ]);
    clock.advance(899 * S);
    expect(engine.tick().changes).toEqual([]);
    clock.advance(1 * S);
    expect(engine.tick().changes.map((c) => [c.prev, c.level])).toEqual([['SIAGA', 'WASPADA']]);
  });

  it('a saved level is raised when the replayed evidence justifies more', () => {
    const clock = new ManualClock(T0);
    const engine = new DetectionEngine({ config: makeConfig(), clock });
    const out = engine.restore(
      [reading('col-ek1', 'gps', { lat: BRAJA_CENTER[0], lon: BRAJA_CENTER[1] }, T0 - S)],
      {
        'z-braja': { level: 'WASPADA', since: T0 - 60 * S },
      },
    );
    expect(out.changes.map((c) => [c.prev, c.level])).toEqual([['WASPADA', 'SIAGA']]);
  });

  it('restores a manual alarm still within its hold, unless it was cancelled', () => {
    const clock = new ManualClock(T0);
    const engine = new DetectionEngine({ config: makeConfig(), clock });
    const out = engine.restore([reading('btn-pos1', 'btn', { p: 1 }, T0 - 60 * S)]);
    expect(out.changes.map((c) => [c.level, c.manual])).toEqual([['AWAS', true]]);
    clock.advance(839 * S);
    engine.tick();
    expect(engine.zones()[0]?.manual).toBe(true);
    clock.advance(1 * S);
    engine.tick();
    expect(engine.zones()[0]?.manual).toBe(false); // hold of the press (T0 − 60 s + 900 s) is over
    // … but the restored score's hold started at the restore
    clock.advance(59 * S);
    expect(engine.tick().changes).toEqual([]);
    clock.advance(1 * S);
    expect(engine.tick().changes.map((c) => c.level)).toEqual(['SIAGA']);

    const other = new DetectionEngine({ config: makeConfig(), clock });
    const cancelled = other.restore([
      reading('btn-pos1', 'btn', { p: 0 }, clock.now() - 30 * S),
      reading('btn-pos1', 'btn', { p: 1 }, clock.now() - 60 * S),
    ]);
    expect(cancelled.changes).toEqual([]);
    expect(other.level('z-braja')).toBe('NORMAL');
  });

  it('restore replaces whatever state the engine had', () => {
    const r = rig();
    r.send(...cam(1));
    r.engine.restore([]);
    expect(r.engine.score('z-braja')).toBe(0);
    expect(r.engine.level('z-braja')).toBe('NORMAL');
  });
});

describe('DetectionEngine: reconfigure', () => {
  it('keeps evidence and levels of zones that still exist; drops removed zones, adds new ones', () => {
    const r = rig();
    r.send(...cam(1));
    r.send(...pir(1, 'pir-90'));
    r.run(60 * S);
    const zones = [
      { id: 'z-braja', name: 'Braja', center: BRAJA_CENTER, radius_m: 1500 },
      { id: 'z-new', name: 'New' },
    ];
    const nodes = NODES.map((n) => (n.zone === 'z-tegal' ? { ...n, zone: 'z-new' } : n));
    const out = r.engine.reconfigure(makeConfig({}, { zones, nodes }));
    expect(out.changes).toEqual([]);
    expect(r.engine.zones().map((z) => [z.zone, z.level, z.score, z.since])).toEqual([
      ['z-braja', 'SIAGA', 70, T0],
      ['z-new', 'NORMAL', 10, T0 + 60 * S],
    ]);
  });

  it('keeps evidence as scored, applies new weights to new readings, raises what new thresholds justify', () => {
    const r = rig();
    r.send(...beam);
    r.send(...seis());
    expect(r.engine.level('z-braja')).toBe('WASPADA');
    const out = r.engine.reconfigure(
      makeConfig({ weights: { beam: 40 }, node_cap: 45, thresholds: { waspada: 20, siaga: 50, awas: 90 } }),
    );
    expect(r.engine.score('z-braja')).toBe(55);
    expect(out.changes.map((c) => [c.prev, c.level])).toEqual([['WASPADA', 'SIAGA']]);
    expect(out.changes[0]?.reason).toMatch(/\(after config reload\)$/);
    r.send(...beam); // 30 + 40, capped at the new node_cap 45
    expect(r.engine.score('z-braja')).toBe(70);
  });

  it('a node moved to another zone takes its evidence along; a removed node loses it', () => {
    const r = rig();
    r.send(...seis());
    r.send(...beam);
    const nodes = NODES.filter((n) => n.id !== 'beam-11').map((n) =>
      n.id === 'seis-03' ? { ...n, zone: 'z-tegal' } : n,
    );
    r.engine.reconfigure(makeConfig({}, { nodes }));
    expect(r.engine.score('z-braja')).toBe(0);
    expect(r.engine.score('z-tegal')).toBe(25);
    expect(r.engine.level('z-braja')).toBe('WASPADA'); // levels stay; the hold starts now
    expect(r.run(899 * S)).toEqual([]);
    expect(r.run(1 * S).map((c) => [c.zone, c.level])).toEqual([['z-braja', 'NORMAL']]);
  });

  it('keeps the running hold and the manual alarm', () => {
    const r = rig();
    r.send(...btn(1));
    r.run(600 * S);
    r.engine.reconfigure(makeConfig());
    expect(r.engine.zones()[0]?.manual).toBe(true);
    expect(r.run(299 * S)).toEqual([]);
    expect(r.run(1 * S).map((c) => [c.level, (c.ts - T0) / S])).toEqual([['SIAGA', 900]]);
  });

  it('a shorter window drops evidence now outside it', () => {
    const r = rig();
    r.send(...beam);
    r.run(120 * S);
    r.send(...seis());
    r.engine.reconfigure(makeConfig({ window_s: 60 }));
    expect(r.engine.score('z-braja')).toBe(25);
  });
});

describe('scenarios', () => {
  it('elephant-night: PIR, footfalls, camera → AWAS; then calm down step by step to all-clear', () => {
    const r = rig();
    const levels: string[] = [];
    const note = (cs: { prev: string; level: string }[]) =>
      levels.push(...cs.map((c) => `${c.prev}→${c.level}`));
    note(r.send(...pir(1)).changes); // 10
    r.run(30 * S);
    note(r.send(...pir(2, 'pir-08')).changes); // 30 → WASPADA
    r.run(45 * S);
    note(r.send(...seis()).changes); // 55
    r.run(20 * S);
    note(r.send(...seis()).changes); // 10+20+40 = 70 → SIAGA
    r.run(20 * S);
    note(r.send(...seis('seis-04')).changes); // 95
    r.run(60 * S);
    const awas = r.send(...cam(0.91));
    note(awas.changes); // 158.7 → AWAS
    expect(levels).toEqual(['NORMAL→WASPADA', 'WASPADA→SIAGA', 'SIAGA→AWAS']);
    expect(awas.changes[0]?.reason).toBe(
      'AWAS: cam-02 saw an elephant (conf 0.91); seis-03 footfalls ×2 (40); seis-04 footfall (pgv 0.82 mm/s); pir-08 motion ×2; pir-07 motion ×1; score 158.7',
    );
    // nothing more arrives: one level at a time, never two at once, then the all-clear
    const calm = r.run(3 * 3_600 * S);
    expect(calm.map((c) => `${c.prev}→${c.level}`)).toEqual([
      'AWAS→SIAGA',
      'SIAGA→WASPADA',
      'WASPADA→NORMAL',
    ]);
    for (let i = 1; i < calm.length; i++) {
      expect((calm[i] as { ts: number }).ts - (calm[i - 1] as { ts: number }).ts).toBeGreaterThanOrEqual(
        900 * S,
      );
    }
    expect(calm.at(-1)).toMatchObject({ level: 'NORMAL', allClear: true, score: 0 });
    expect(r.engine.zones()[0]).toMatchObject({ level: 'NORMAL', score: 0, manual: false });
  });

  it('noisy-pir: a faulty PIR firing n=5 every 10 s for an hour never goes above WASPADA', () => {
    const r = rig();
    const seen = new Set<string>();
    for (let t = 0; t < 360; t++) {
      for (const c of r.send(...pir(5)).changes) seen.add(c.level);
      r.run(10 * S, 10 * S);
      seen.add(r.engine.level('z-braja') ?? '?');
      expect(r.engine.score('z-braja')).toBeLessThanOrEqual(40);
    }
    expect([...seen].sort()).toEqual(['NORMAL', 'WASPADA']);
    expect(seen.has('AWAS')).toBe(false);
  });

  it('panic-button: btn p=1 → AWAS at once, manual', () => {
    const r = rig();
    const out = r.send(...btn(1));
    expect(out.changes).toEqual([
      {
        zone: 'z-braja',
        level: 'AWAS',
        prev: 'NORMAL',
        score: 0,
        nodes: ['btn-pos1'],
        reason: 'AWAS: manual alarm: btn-pos1 panic button pressed; score 0',
        ts: T0,
        allClear: false,
        manual: true,
        local: true,
      },
    ]);
    expect(r.engine.level('z-tegal')).toBe('NORMAL');
  });

  it('fence-cut: voltage drops to 0.5 kV → fence_low + WASPADA; a beam cut too → SIAGA', () => {
    const r = rig();
    const cut = r.send(...fence(0.5));
    expect(cut.notices.map((n) => [n.kind, n.node, n.zone])).toEqual([['fence_low', 'fence-01', 'z-braja']]);
    expect(cut.changes.map((c) => [c.level, c.score])).toEqual([['WASPADA', 40]]);
    expect(cut.changes[0]?.reason).toBe('WASPADA: fence-01 fence low (0.5 kV); score 40');
    const both = r.send(...beam);
    expect(both.changes.map((c) => [c.prev, c.level, c.score, c.nodes])).toEqual([
      ['WASPADA', 'SIAGA', 70, ['fence-01', 'beam-11']],
    ]);
  });
});
