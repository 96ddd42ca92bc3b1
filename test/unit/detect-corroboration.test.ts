import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { type CorroborationRule, corroborate, type KindEvidence } from '../../src/detect/corroboration.js';
import { DetectionEngine, type EngineOutput } from '../../src/detect/index.js';
import { excessOver } from '../../src/detect/kind-cap.js';
import { toMicro } from '../../src/detect/window.js';
import { ManualClock, type ReadingType, type Values } from '../../src/domain/index.js';
import { MIN, makeDefaultConfig, reading, T0 } from '../fixtures/detect.js';

/**
 * Corroboration (two kinds of sensor agreeing) and the cap per kind as pure functions over plain
 * values: what a kind has in the window in, the points the zone earns (or loses) out.
 */

const RULE: CorroborationRule = {
  weight: 3,
  max: 50,
  kinds: ['seis', 'beam', 'fence', 'cam', 'gps'],
  lead_min: 30,
  fresh_s: 5400,
};

const k = (kind: ReadingType, strongest: number, fresh = strongest): KindEvidence => ({
  kind,
  strongest: toMicro(strongest),
  fresh: toMicro(fresh),
});

const points = (kinds: KindEvidence[], rule = RULE): number => corroborate(kinds, rule).micro / 1e6;

const KINDS: ReadingType[] = ['pir', 'seis', 'beam', 'fence', 'cam', 'gps', 'btn', 'hb'];

/** What a kind may hold: a strongest node and a fresh one that is never stronger. */
const kindEvidence = (kind: fc.Arbitrary<ReadingType>): fc.Arbitrary<KindEvidence> =>
  fc
    .record({
      kind,
      strongest: fc.integer({ min: 0, max: 200 }),
      freshShare: fc.constantFrom(0, 0.25, 1),
    })
    .map(({ kind, strongest, freshShare }) => k(kind, strongest, Math.round(strongest * freshShare)));

describe('corroboration: two kinds agreeing', () => {
  it('a fence gone low and footfalls hammering one geophone earn the zone weight × the fence', () => {
    // seis-c at its cap (7 footfalls), the fence two reports after the herd broke it.
    const c = corroborate([k('seis', 40), k('fence', 10)], RULE);
    expect(c.micro).toBe(toMicro(30));
    expect(c.kinds).toEqual(['seis', 'fence']);
  });

  it('earns at most `max`', () => {
    expect(points([k('seis', 40), k('beam', 40)])).toBe(50);
  });

  it('needs a sure kind: a fence and a couple of footfalls agree on nothing yet', () => {
    expect(points([k('seis', 12), k('fence', 20)])).toBe(0);
  });

  it('a node firing for longer than fresh_s does not agree: a fence down since a branch fell, with rain on a geophone', () => {
    expect(points([k('seis', 36), k('fence', 20, 0)])).toBe(0);
    // The sure kind may be old news; the one that agrees must be new.
    expect(points([k('seis', 40, 0), k('fence', 20)])).toBe(50);
  });

  it('kinds left out of `kinds` (PIR: monkeys every night) neither earn nor give a bonus', () => {
    expect(points([k('pir', 40), k('seis', 40)])).toBe(0);
    expect(points([k('pir', 40), k('fence', 20)])).toBe(0);
  });

  it('weight 0 switches it off', () => {
    expect(points([k('seis', 40), k('beam', 40)], { ...RULE, weight: 0 })).toBe(0);
  });

  it('property: one kind alone never earns anything, however loud', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KINDS),
        fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 6 }),
        (kind, scores) => points(scores.map((s) => k(kind, s))) === 0,
      ),
    );
  });

  it('property: more evidence in any kind never lowers the bonus; it stays within 0..max', () => {
    const kinds = fc.uniqueArray(kindEvidence(fc.constantFrom(...KINDS)), {
      selector: (e) => e.kind,
      maxLength: 6,
    });
    fc.assert(
      fc.property(
        kinds,
        fc.nat(),
        fc.integer({ min: 0, max: 100 }),
        fc.boolean(),
        (list, at, more, freshToo) => {
          const before = corroborate(list, RULE).micro;
          expect(before).toBeGreaterThanOrEqual(0);
          expect(before).toBeLessThanOrEqual(toMicro(RULE.max));
          if (list.length === 0) return;
          const i = at % list.length;
          const e = list[i] as KindEvidence;
          const grown = {
            ...e,
            strongest: e.strongest + toMicro(more),
            fresh: freshToo ? e.fresh + toMicro(more) : e.fresh,
          };
          const after = corroborate(
            list.map((x, j) => (j === i ? grown : x)),
            RULE,
          ).micro;
          expect(after).toBeGreaterThanOrEqual(before);
        },
      ),
    );
  });

  it('property: the answer does not depend on the order the kinds come in', () => {
    const kinds = fc.uniqueArray(kindEvidence(fc.constantFrom(...KINDS)), {
      selector: (e) => e.kind,
      maxLength: 6,
    });
    fc.assert(
      fc.property(kinds, (list) => {
        expect(corroborate([...list].reverse(), RULE)).toEqual(corroborate(list, RULE));
      }),
    );
  });
});

describe('cap per kind', () => {
  it('three geophones ticking in the rain count as one full geophone', () => {
    expect(excessOver([toMicro(24), toMicro(30)], toMicro(40))).toBe(0);
    expect(excessOver([toMicro(40 + 30 + 18)], toMicro(40))).toBe(toMicro(48));
  });

  it('property: what the cap takes off never exceeds what it is taken from, and never falls as a sum grows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 6 }),
        fc.integer({ min: 1, max: 100 }),
        fc.nat(),
        fc.integer({ min: 0, max: 50 }),
        (sums, cap, at, more) => {
          const micro = sums.map(toMicro);
          const over = excessOver(micro, toMicro(cap));
          const total = micro.reduce((a, b) => a + b, 0);
          expect(over).toBeGreaterThanOrEqual(0);
          expect(total - over).toBeLessThanOrEqual(toMicro(cap) * sums.length);
          if (sums.length === 0) return;
          const grown = micro.map((s, j) => (j === at % micro.length ? s + toMicro(more) : s));
          const overAfter = excessOver(grown, toMicro(cap));
          // the capped score (total − over) never falls when one kind gets more evidence
          expect(total + toMicro(more) - overAfter).toBeGreaterThanOrEqual(total - over);
        },
      ),
    );
  });
});

describe('corroboration in the engine (the schema defaults), over random nights', () => {
  const EDGE: ConfigInput['nodes'] = [
    { id: 'seis-a', type: 'seis', zone: 'z' },
    { id: 'seis-b', type: 'seis', zone: 'z' },
    { id: 'fence-a', type: 'fence', zone: 'z' },
    { id: 'fence-b', type: 'fence', zone: 'z' },
    { id: 'beam-a', type: 'beam', zone: 'z' },
    { id: 'pir-a', type: 'pir', zone: 'z' },
    { id: 'pir-b', type: 'pir', zone: 'z' },
    { id: 'cam-a', type: 'cam', zone: 'z' },
  ];
  const values: Record<string, fc.Arbitrary<Values>> = {
    seis: fc.record({ pgv: fc.constantFrom(0.1, 0.2, 0.35, 0.8) }),
    fence: fc.record({ kv: fc.constantFrom(0.5, 2, 7.5) }),
    beam: fc.record({ cut: fc.constantFrom(0, 1) }),
    pir: fc.record({ n: fc.integer({ min: 0, max: 4 }) }),
    cam: fc.record({ label: fc.constantFrom('elephant', 'cow'), conf: fc.constantFrom(0.5, 0.7, 0.9) }),
  };
  /** Readings minutes apart over a few hours, so windows fill, empty and nodes go stale. */
  const night = (nodes: NonNullable<ConfigInput['nodes']>) =>
    fc.array(
      fc
        .record({ node: fc.constantFrom(...nodes), dt: fc.integer({ min: 0, max: 8 * MIN }) })
        .chain(({ node, dt }) => (values[node.type] as fc.Arbitrary<Values>).map((v) => ({ node, dt, v }))),
      { minLength: 1, maxLength: 120 },
    );

  function play(
    nodes: NonNullable<ConfigInput['nodes']>,
    list: { node: { id: string; type: string }; dt: number; v: Values }[],
    each: (before: number, after: number, out: EngineOutput) => void,
  ) {
    const config = makeDefaultConfig({}, { nodes, zones: [{ id: 'z', name: 'Edge' }] });
    const clock = new ManualClock(T0);
    const engine = new DetectionEngine({ config, clock });
    for (const s of list) {
      clock.advance(s.dt);
      engine.tick();
      const before = engine.score('z') as number;
      const out = engine.onReading(reading(s.node.id, s.node.type as ReadingType, s.v, clock.now()));
      each(before, engine.score('z') as number, out);
    }
  }

  it('a reading never lowers the zone score at the moment it arrives', () => {
    fc.assert(
      fc.property(night(EDGE), (list) => {
        play(EDGE, list, (before, after) => expect(after).toBeGreaterThanOrEqual(before));
      }),
      { numRuns: 150 },
    );
  });

  it('nodes of one kind alone never earn an agreement, and together stay within the cap per kind', () => {
    const kinds = ['seis', 'fence', 'beam', 'pir'] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...kinds).chain((kind) => night(EDGE.filter((n) => n.type === kind))),
        (list) => {
          const nodes = EDGE.filter((n) => n.type === list[0]?.node.type);
          play(nodes, list, (_before, after, out) => {
            expect(after).toBeLessThanOrEqual(40);
            for (const c of out.changes) expect(c.reason).not.toContain('agree');
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});
