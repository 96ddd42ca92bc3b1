import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import {
  DetectionEngine,
  type EngineOutput,
  type LevelChange,
  scoreReading,
} from '../../src/detect/index.js';
import type { Level, Reading, ReadingType, Values } from '../../src/domain/index.js';
import { LEVELS, levelRank, ManualClock } from '../../src/domain/index.js';
import { makeConfig, S, T0 } from '../fixtures/detect.js';

/**
 * Properties of the detection engine over random traffic. A reference model recomputes every
 * zone score from scratch (sum per node of min(non-strong, cap) + strong, over the window) and
 * the checks hold the engine's levels against docs/behaviour.md's rules.
 */

const WINDOW_S = 30;
const HOLD_S = 20;
const DETECTION = { window_s: WINDOW_S, hold_s: HOLD_S } as const;
const THR = [0, 30, 60, 100];

const NODES: ConfigInput['nodes'] = [
  { id: 'pir-a', type: 'pir', zone: 'za' },
  { id: 'seis-a', type: 'seis', zone: 'za' },
  { id: 'beam-a', type: 'beam', zone: 'za' },
  { id: 'fence-a', type: 'fence', zone: 'za' },
  { id: 'cam-a', type: 'cam', zone: 'za' },
  { id: 'gps-a', type: 'gps', zone: 'za' },
  { id: 'btn-a', type: 'btn', zone: 'za' },
  { id: 'btn-b', type: 'btn', zone: 'za' },
  { id: 'pir-b', type: 'pir', zone: 'zb' },
  { id: 'seis-b', type: 'seis', zone: 'zb' },
  { id: 'btn-c', type: 'btn', zone: 'zb' },
  { id: 'pir-x', type: 'pir', zone: 'z-none' },
];
const ZONES: ConfigInput['zones'] = [
  { id: 'za', name: 'A', center: [-4.93, 105.78], radius_m: 1000 },
  { id: 'zb', name: 'B' },
];
const ZONE_IDS = ['za', 'zb'];

/** Values for a reading of `type`; scores stay multiples of 0.1 so rounding never crosses a threshold. */
const valuesFor = (type: ReadingType): fc.Arbitrary<Values> => {
  switch (type) {
    case 'pir':
      return fc.record({ n: fc.integer({ min: 0, max: 12 }) });
    case 'seis':
      return fc.record({ pgv: fc.constantFrom(0, 0.1, 0.29, 0.3, 0.8, 5) });
    case 'beam':
      return fc.record({ cut: fc.constantFrom(0, 1) });
    case 'fence':
      return fc.record({ kv: fc.constantFrom(0, 0.5, 3.99, 4, 9) });
    case 'cam':
      return fc.record({
        label: fc.constantFrom('elephant', 'elephant', 'human', 'animal', 'unknown'),
        conf: fc.integer({ min: 40, max: 100 }).map((c) => c / 100),
      });
    case 'gps':
      return fc
        .record({ dn: fc.integer({ min: -1500, max: 1500 }), de: fc.integer({ min: -1500, max: 1500 }) })
        .map(({ dn, de }) => ({ lat: -4.93 + dn / 111_195, lon: 105.78 + de / 110_800 }));
    case 'btn':
      return fc.record({ p: fc.constantFrom(0, 1) });
    case 'hb':
      return fc.constant({ bat: 3.7 });
  }
};

type Step =
  | { op: 'read'; node: string; type: ReadingType; v: Values; dt: number; skew: number }
  | { op: 'tick'; dt: number };

const TYPES: ReadingType[] = ['hb', 'pir', 'seis', 'beam', 'cam', 'fence', 'gps', 'btn'];

/** A reading from `nodes`, mostly of the node's own type, sometimes of any type. */
const readStep = (nodes: ConfigInput['nodes']): fc.Arbitrary<Step> =>
  fc
    .record({
      n: fc.constantFrom(...nodes),
      anyType: fc.option(fc.constantFrom(...TYPES), { freq: 12 }),
      dt: fc.integer({ min: 0, max: 3_000 }),
      // node clocks: mostly right, sometimes behind (beyond the window) or ahead
      skew: fc.oneof(
        { weight: 8, arbitrary: fc.constant(0) },
        { weight: 2, arbitrary: fc.integer({ min: -45_000, max: 20_000 }) },
      ),
    })
    .chain(({ n, anyType, dt, skew }) => {
      const type = anyType ?? n.type;
      return valuesFor(type).map((v): Step => ({ op: 'read', node: n.id, type, v, dt, skew }));
    });

const tickStep: fc.Arbitrary<Step> = fc
  .oneof(
    { weight: 12, arbitrary: fc.integer({ min: 0, max: 1_500 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 40_000 }) },
  )
  .map((dt): Step => ({ op: 'tick', dt }));

const steps = (nodes: ConfigInput['nodes'], max = 200) =>
  fc.array(fc.oneof({ weight: 2, arbitrary: readStep(nodes) }, { weight: 3, arbitrary: tickStep }), {
    minLength: 1,
    maxLength: max,
    size: 'max',
  });

/** Reference model: every admitted piece of evidence, scores recomputed from scratch. */
class Model {
  readonly items: { zone: string; node: string; strong: boolean; score: number; ts: number }[] = [];
  constructor(private readonly config: ReturnType<typeof makeConfig>) {}

  admit(r: Reading, now: number): void {
    const node = this.config.nodes.find((n) => n.id === r.node);
    const zone = this.config.zones.find((z) => z.id === node?.zone);
    if (node === undefined || zone === undefined) return;
    const ev = scoreReading(r, node, zone, this.config.detection);
    const ts = Math.min(r.ts, now);
    if (ev === undefined || now - ts >= WINDOW_S * S) return;
    this.items.push({ zone: zone.id, node: node.id, strong: ev.strong, score: ev.score, ts });
  }

  score(zone: string, now: number): number {
    const weak = new Map<string, number>();
    let strong = 0;
    for (const i of this.items) {
      if (i.zone !== zone || now - i.ts >= WINDOW_S * S) continue;
      if (i.strong) strong += i.score;
      else weak.set(i.node, (weak.get(i.node) ?? 0) + i.score);
    }
    let s = strong;
    for (const w of weak.values()) s += Math.min(w, this.config.detection.node_cap);
    return Math.round(s * 10) / 10;
  }
}

const justified = (score: number): Level => {
  for (let i = 3; i > 0; i--) if (score >= (THR[i] as number)) return LEVELS[i] as Level;
  return 'NORMAL';
};

interface Run {
  outputs: EngineOutput[];
  engine: DetectionEngine;
  clock: ManualClock;
}

function play(
  list: Step[],
  nodes = NODES,
  check?: (step: Step, out: EngineOutput, r: Run, m: Model) => void,
): Run {
  const config = makeConfig(DETECTION, { nodes, zones: ZONES });
  const clock = new ManualClock(T0);
  const engine = new DetectionEngine({ config, clock });
  const run: Run = { outputs: [], engine, clock };
  const model = new Model(config);
  let seq = 0;
  for (const step of list) {
    clock.advance(step.dt);
    let out: EngineOutput;
    if (step.op === 'read') {
      const r: Reading = {
        id: `r${++seq}`,
        node: step.node,
        seq,
        type: step.type,
        ts: clock.now() + step.skew,
        via: 'serial',
        v: step.v,
        clockOk: true,
      };
      model.admit(r, clock.now());
      out = engine.onReading(r);
    } else {
      out = engine.tick();
    }
    run.outputs.push(out);
    check?.(step, out, run, model);
  }
  return run;
}

describe('detection properties', () => {
  it('scores equal a from-scratch recomputation; levels change only by the rules', () => {
    fc.assert(
      fc.property(steps(NODES), (list) => {
        const levels = new Map<string, Level>(ZONE_IDS.map((z) => [z, 'NORMAL']));
        const lastChange = new Map<string, number>(ZONE_IDS.map((z) => [z, T0]));
        const history = new Map<string, { t: number; score: number }[]>(ZONE_IDS.map((z) => [z, []]));
        // manual alarm per zone: hold end of the latest press, or undefined after a cancel
        const manualUntil = new Map<string, number | undefined>();

        play(list, NODES, (step, out, { engine, clock }, model) => {
          const now = clock.now();
          const zoneOfStep = step.op === 'read' ? NODES.find((n) => n.id === step.node)?.zone : undefined;
          if (
            step.op === 'read' &&
            step.type === 'btn' &&
            zoneOfStep !== undefined &&
            ZONE_IDS.includes(zoneOfStep)
          ) {
            const node = NODES.find((n) => n.id === step.node);
            const ts = Math.min(now + step.skew, now);
            if (node?.type === 'btn' && now - ts < WINDOW_S * S) {
              if (step.v.p === 1)
                manualUntil.set(zoneOfStep, Math.max(manualUntil.get(zoneOfStep) ?? 0, ts + HOLD_S * S));
              if (step.v.p === 0) manualUntil.set(zoneOfStep, undefined);
            }
          }
          const seen = new Set<string>();
          for (const c of out.changes) {
            expect(seen.has(c.zone)).toBe(false); // at most one change per zone per call
            seen.add(c.zone);
            expect(c.prev).toBe(levels.get(c.zone));
            const score = model.score(c.zone, now);
            if (step.op === 'read') {
              // escalation only, immediately, to exactly what the score justifies (or AWAS by hand)
              expect(levelRank(c.level)).toBeGreaterThan(levelRank(c.prev));
              expect(c.zone).toBe(zoneOfStep);
              if (c.manual) {
                expect(step.type === 'btn' && step.v.p === 1).toBe(true);
                expect(c.level).toBe('AWAS');
              } else {
                expect(c.level).toBe(justified(score));
              }
            } else {
              // de-escalation: one step, after hold_s at that level with the score below its threshold
              expect(levelRank(c.prev) - levelRank(c.level)).toBe(1);
              expect(c.manual).toBe(false);
              expect(now - (lastChange.get(c.zone) as number)).toBeGreaterThanOrEqual(HOLD_S * S);
              const thr = THR[levelRank(c.prev)] as number;
              for (const h of history.get(c.zone) ?? [])
                if (h.t >= now - HOLD_S * S) expect(h.score).toBeLessThan(thr);
              expect(score).toBeLessThan(thr);
              const until = manualUntil.get(c.zone);
              if (c.prev === 'AWAS' && until !== undefined) expect(now).toBeGreaterThanOrEqual(until);
              expect(c.allClear).toBe(c.level === 'NORMAL');
            }
            levels.set(c.zone, c.level);
            lastChange.set(c.zone, now);
          }
          for (const z of ZONE_IDS) {
            // levels change only through emitted changes; scores match the model
            expect(engine.level(z)).toBe(levels.get(z));
            const score = model.score(z, now);
            expect(engine.score(z)).toBe(score);
            history.get(z)?.push({ t: now, score });
            // never below what the score justifies (escalation is immediate)
            expect(levelRank(engine.level(z) as Level)).toBeGreaterThanOrEqual(levelRank(justified(score)));
          }
          if (step.op === 'read') expect(out.retriggered.every((z) => z === zoneOfStep)).toBe(true);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('with nothing more arriving, every zone calms down to NORMAL and says all-clear', () => {
    fc.assert(
      fc.property(steps(NODES, 60), (list) => {
        const { engine, clock } = play(list);
        const before = engine.zones().map((z) => z.level);
        const changes: LevelChange[] = [];
        for (let t = 0; t < WINDOW_S + 4 * HOLD_S + 5; t++) {
          clock.advance(S);
          changes.push(...engine.tick().changes);
        }
        expect(engine.zones().map((z) => z.level)).toEqual(['NORMAL', 'NORMAL']);
        ZONE_IDS.forEach((z, i) => {
          const mine = changes.filter((c) => c.zone === z);
          expect(mine).toHaveLength(levelRank(before[i] as Level));
          if (mine.length > 0) expect(mine.at(-1)?.allClear).toBe(true);
        });
      }),
      { numRuns: 150 },
    );
  });

  it.each(['pir', 'seis', 'beam', 'fence'] as const)(
    'a single %s node never reaches SIAGA, whatever it sends',
    (type) => {
      const nodes = [{ id: 'solo', type, zone: 'za' }];
      fc.assert(
        fc.property(steps(nodes, 200), (list) => {
          play(list, nodes, (_s, out, { engine }) => {
            for (const c of out.changes) expect(levelRank(c.level)).toBeLessThanOrEqual(levelRank('WASPADA'));
            expect(levelRank(engine.level('za') as Level)).toBeLessThanOrEqual(levelRank('WASPADA'));
            expect(engine.score('za')).toBeLessThanOrEqual(40);
          });
        }),
        { numRuns: 100 },
      );
    },
  );

  it('is deterministic: the same inputs give the same outputs', () => {
    fc.assert(
      fc.property(steps(NODES), (list) => {
        const a = play(list);
        const b = play(list);
        expect(b.outputs).toEqual(a.outputs);
        expect(b.engine.zones()).toEqual(a.engine.zones());
      }),
      { numRuns: 100 },
    );
  });
});
