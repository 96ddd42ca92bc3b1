import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { geometryOf, toLatLon, toLocal } from '../../bench/detect/geometry.js';
import { herdNight } from '../../bench/detect/herds.js';
import { figures, judgeNight, quantile } from '../../bench/detect/judge.js';
import { type NightPlan, simulateNight } from '../../bench/detect/night.js';
import { DEFAULT_PARAMS, MIXES, mergeParams } from '../../bench/detect/params.js';
import { Rng } from '../../bench/detect/rng.js';
import { runBench } from '../../bench/detect/run.js';
import { VARIANTS } from '../../bench/detect/variants.js';
import { loadConfig } from '../../src/config/load.js';
import type { LevelChange } from '../../src/detect/types.js';
import type { Level } from '../../src/domain/index.js';
import type { ReplayResult } from '../../src/report/replay.js';

/** The night simulator of `npm run bench:detect`: its world, its judge and its run. */

const SITE = join(new URL('../../bench/detect', import.meta.url).pathname, 'site.yaml');
const config = loadConfig(SITE).config;
const g = geometryOf(config, DEFAULT_PARAMS.layout);
const NIGHT = Date.UTC(2027, 6, 1, 11); // 18:00 WIB
const quiet: NightPlan = { herd: false, cattle: false, rain: false, brokenPirs: [], presses: [] };

describe('bench:detect world', () => {
  it('places the config nodes in the park-to-fields frame and back (lat/lon round trip)', () => {
    const pirA = g.sensors.find((s) => s.id === 'pir-a');
    expect(pirA?.y).toBeCloseTo(240, 0); // the field edge, as the site file says
    expect(pirA?.x).toBeCloseTo(-200, 0);
    fc.assert(
      fc.property(
        fc.double({ min: -3000, max: 3000, noNaN: true }),
        fc.double({ min: -3000, max: 3000, noNaN: true }),
        (x, y) => {
          const [lat, lon] = toLatLon(g, { x, y });
          const p = toLocal(g.center, g.bearingRad, lat, lon);
          expect(p.x).toBeCloseTo(x, 3);
          expect(p.y).toBeCloseTo(y, 3);
        },
      ),
    );
  });

  it('is the same world for the same seed, so every config is judged on the same nights', () => {
    const a = simulateNight(new Rng(7), DEFAULT_PARAMS, g, NIGHT, { ...quiet, herd: true, cattle: true });
    const b = simulateNight(new Rng(7), DEFAULT_PARAMS, g, NIGHT, { ...quiet, herd: true, cattle: true });
    expect(b.readings.map((r) => [r.node, r.ts, r.v])).toEqual(a.readings.map((r) => [r.node, r.ts, r.v]));
    expect(a.readings.every((r, i) => i === 0 || r.ts >= (a.readings[i - 1]?.ts ?? 0))).toBe(true);
  });

  it('walks herds of 2–15 at 0.5–2 km/h; those that enter cross the field edge, the others do not', () => {
    const stepS = DEFAULT_PARAMS.step_s;
    let entered = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const h = herdNight(new Rng(seed), DEFAULT_PARAMS, g, NIGHT, NIGHT + 12 * 3_600_000);
      expect(h.size).toBeGreaterThanOrEqual(2);
      expect(h.size).toBeLessThanOrEqual(15);
      const lead = h.track.pos.map((p) => p[1] as number);
      // On the way out (up to where it turns or enters), before any feeding: walking pace at most.
      const until = lead.indexOf(Math.max(...lead));
      const steps = lead.slice(1, until).map((y, i) => Math.abs(y - (lead[i] as number)));
      expect((Math.max(0, ...steps) / stepS) * 3.6).toBeLessThanOrEqual(2.0001);
      const crossed = lead.some((y) => y >= g.layout.field_edge_y);
      expect(h.fieldAt !== undefined).toBe(crossed);
      if (crossed) entered++;
    }
    expect(entered).toBeGreaterThan(10);
    expect(entered).toBeLessThan(40);
  });

  it('makes a failing PIR fire every minute and a child’s press a manual alarm', () => {
    const n = simulateNight(new Rng(3), DEFAULT_PARAMS, g, NIGHT, {
      ...quiet,
      brokenPirs: [{ node: 'pir-b', from: NIGHT }],
      presses: [{ node: 'btn-pos1', at: NIGHT + 3_600_000 }],
    });
    const pirB = n.readings.filter((r) => r.node === 'pir-b');
    expect(pirB.length).toBeGreaterThanOrEqual(12 * 60);
    expect(n.readings.filter((r) => r.node === 'btn-pos1').map((r) => r.v)).toEqual([{ p: 1 }]);
  });

  it('refuses a parameter file with a key it does not know, naming it', () => {
    expect(() => mergeParams(DEFAULT_PARAMS, { herd: { speed: [1, 2] } })).toThrow(
      /params\.herd\.speed: unknown/,
    );
    expect(mergeParams(DEFAULT_PARAMS, { herd: { enter_p: 1 } }).herd.enter_p).toBe(1);
  });
});

describe('bench:detect judge (D1–D5 of issue 19)', () => {
  const change = (ts: number, prev: Level, level: Level, manual = false): LevelChange => ({
    zone: 'z-braja',
    prev,
    level,
    ts,
    manual,
    allClear: level === 'NORMAL',
    score: 0,
    nodes: [],
    reason: '',
  });
  const result = (changes: LevelChange[]): ReplayResult => ({
    readings: 0,
    unknownNodes: 0,
    from: NIGHT,
    to: NIGHT + 13 * 3_600_000,
    changes,
    sirens: [],
    sirenSeconds: { 's-braja': 120 },
    notifications: [],
  });

  it('times the warning before the herd reaches the field edge, per level, and a herd warned in time is not missed', () => {
    const night = simulateNight(
      new Rng(11),
      mergeParams(DEFAULT_PARAMS, { herd: { enter_p: 1 } }),
      g,
      NIGHT,
      {
        ...quiet,
        herd: true,
      },
    );
    const at = night.herd?.fieldAt as number;
    expect(at).toBeGreaterThan(NIGHT);
    const MIN = 60_000;
    const s = judgeNight(
      night,
      result([
        change(at - 40 * MIN, 'NORMAL', 'WASPADA'),
        change(at - 25 * MIN, 'WASPADA', 'SIAGA'),
        change(at - 10 * MIN, 'SIAGA', 'AWAS'),
      ]),
      'z-braja',
    );
    expect(s.lead).toEqual({ WASPADA: 40, SIAGA: 25, AWAS: 10 });
    expect(s.missed).toBe(false);
    // The same herd, with an AWAS that had ended (back to NORMAL) before it arrived: missed.
    const late = judgeNight(
      night,
      result([change(at - 90 * MIN, 'NORMAL', 'AWAS'), change(at - 30 * MIN, 'AWAS', 'NORMAL')]),
      'z-braja',
    );
    expect(late.missed).toBe(true);
    expect(late.lead?.AWAS).toBe(0);
  });

  it('counts an AWAS with no herd near as a false siren, a child’s press apart', () => {
    const night = simulateNight(new Rng(5), DEFAULT_PARAMS, g, NIGHT, quiet);
    const s = judgeNight(
      night,
      result([
        change(NIGHT + 3_600_000, 'NORMAL', 'AWAS'),
        change(NIGHT + 7_200_000, 'AWAS', 'NORMAL'),
        change(NIGHT + 9_000_000, 'NORMAL', 'AWAS', true),
      ]),
      'z-braja',
    );
    expect(s.falseSirens).toBe(1);
    expect(s.falseManual).toBe(1);
    expect(s.sirenSeconds).toBe(120);
  });

  it('takes quantiles between ranks', () => {
    expect(quantile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(quantile([0, 10], 0.1)).toBeCloseTo(1);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('bench:detect run', () => {
  it('judges every config variant on the same nights and gives D1–D5 for each', () => {
    const res = runBench({
      siteFile: SITE,
      params: { ...DEFAULT_PARAMS, months: 1, nights_per_month: 6 },
      variants: VARIANTS.slice(0, 2),
      mixes: MIXES.slice(0, 1),
      seed: 19,
    });
    expect(res.map((r) => r.variant)).toEqual(['default', 'v0.1']);
    const [a, b] = res;
    expect(a?.totals.herds).toBe(b?.totals.herds);
    expect(a?.totals.nights).toBe(6);
    for (const r of res) {
      expect(Object.keys(r.figures.d1)).toEqual(['WASPADA', 'SIAGA', 'AWAS']);
      expect(r.figures.d3).toBeGreaterThanOrEqual(0);
      expect(figures({ ...r.totals, leads: { WASPADA: [], SIAGA: [], AWAS: [] } }).d2).toBe(r.figures.d2);
    }
  });
});
