import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DetectionEngine } from '../../src/detect/index.js';
import type { EngineOutput } from '../../src/detect/types.js';
import {
  type EventKind,
  type GatewayEvent,
  type Level,
  levelRank,
  ManualClock,
  type ReadingType,
  type Values,
} from '../../src/domain/index.js';
import { applyEngineOutput } from '../../src/gateway/engine-output.js';
import { NeighbourIntake } from '../../src/neighbours/intake.js';
import { eventPayload } from '../../src/uplink/payloads.js';
import { makeConfig, reading, S, T0 } from '../fixtures/detect.js';
import { silentLog } from '../helpers/log.js';

/** One gateway as far as pre-alerts go: its engine, its intake, and the level events it publishes. */
function gateway(self: string, neighbour: string, clock: ManualClock) {
  const engine = new DetectionEngine({ config: makeConfig(), clock });
  const published: string[] = [];
  let n = 0;
  const sink = {
    emit(kind: EventKind, fields = {}): GatewayEvent {
      const e = { id: `${self}-${++n}`, ts: clock.now(), kind, fields };
      published.push(JSON.stringify(eventPayload(e, '18.07.11.2005')));
      return e;
    },
  };
  const onEngine = (out: EngineOutput) => applyEngineOutput(out, { onEngineOutput: () => {} }, sink);
  const ignored: string[] = [];
  const intake = new NeighbourIntake({
    clock,
    log: silentLog,
    engine,
    onEngine,
    count: (r) => ignored.push(r),
  });
  intake.configure([
    {
      gateway: neighbour,
      zones: { 'z-braja': 'z-braja' },
      distance_m: 1200,
      direction: 'west',
      weight: 30,
      max_age_s: 600,
    },
  ]);
  return { self, engine, onEngine, intake, published, ignored };
}
type Gw = ReturnType<typeof gateway>;

/** Delivers every published level event to the other gateway until nobody has anything left to say. */
function relay(a: Gw, b: Gw): void {
  for (let rounds = 0; a.published.length + b.published.length > 0; rounds++) {
    expect(rounds).toBeLessThan(50); // a loop would never settle
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      for (const p of from.published.splice(0)) to.intake.receive(from.self, p);
    }
  }
}

function pair() {
  const clock = new ManualClock(T0);
  const a = gateway('gw-a', 'gw-b', clock);
  const b = gateway('gw-b', 'gw-a', clock);
  // What A would decide with no neighbours at all: the reference its level must always equal.
  const alone = new DetectionEngine({ config: makeConfig(), clock });
  const send = (g: Gw, node: string, type: ReadingType, v: Values) => {
    const r = reading(node, type, v, clock.now());
    if (g === a) alone.onReading(r);
    g.onEngine(g.engine.onReading(r));
    relay(a, b);
  };
  const wait = (ms: number) => {
    for (let t = 0; t < ms; t += 30 * S) {
      clock.advance(Math.min(30 * S, ms - t));
      alone.tick();
      a.onEngine(a.engine.tick());
      b.onEngine(b.engine.tick());
      relay(a, b);
    }
  };
  return { clock, a, b, alone, send, wait };
}

describe('pre-alerts cannot loop', () => {
  it('A’s AWAS pre-alerts B to WASPADA; B’s WASPADA (and its SIAGA with local help) never comes back to raise A', () => {
    const { a, b, alone, send, wait } = pair();
    send(a, 'cam-02', 'cam', { label: 'elephant', conf: 1 });
    send(a, 'beam-11', 'beam', { cut: 1 });
    expect(a.engine.level('z-braja')).toBe('AWAS');
    expect(b.engine.level('z-braja')).toBe('WASPADA');
    // B's own PIR (40 at most) plus A's pre-alert make SIAGA at B, resting on A: not a source for A.
    for (let i = 0; i < 2; i++) send(b, 'pir-07', 'pir', { n: 2 });
    expect(b.engine.level('z-braja')).toBe('SIAGA');
    expect(a.ignored).toContain('not_local');
    expect(a.engine.score('z-braja')).toBe(alone.score('z-braja'));
    wait(600 * S + 900 * S * 3);
    expect(a.engine.level('z-braja')).toBe('NORMAL');
    expect(b.engine.level('z-braja')).toBe('NORMAL');
  });

  it('A’s all-clear withdraws B’s pre-alert', () => {
    const { a, b, send, wait } = pair();
    send(a, 'cam-02', 'cam', { label: 'elephant', conf: 1 });
    expect(b.engine.score('z-braja')).toBe(30);
    wait(600 * S + 900 * S); // A's evidence expires, A holds SIAGA then steps down: below SIAGA withdraws
    expect(levelRank(a.engine.level('z-braja') as Level)).toBeLessThan(levelRank('SIAGA'));
    expect(b.engine.score('z-braja')).toBe(0);
  });

  it('for any night of local evidence at A (and weak evidence at B), A’s level is what A alone would decide, and B never passes SIAGA on A’s word alone', () => {
    const readingAt = fc.oneof(
      fc.record({
        at: fc.constant('a' as const),
        node: fc.constant('cam-02'),
        type: fc.constant<ReadingType>('cam'),
        v: fc.double({ min: 0.6, max: 1, noNaN: true }).map((conf): Values => ({ label: 'elephant', conf })),
      }),
      fc.record({
        at: fc.constant('a' as const),
        node: fc.constantFrom('seis-03', 'seis-04'),
        type: fc.constant<ReadingType>('seis'),
        v: fc.constant<Values>({ pgv: 0.8 }),
      }),
      fc.record({
        at: fc.constant('a' as const),
        node: fc.constant('beam-11'),
        type: fc.constant<ReadingType>('beam'),
        v: fc.constant<Values>({ cut: 1 }),
      }),
      fc.record({
        at: fc.constant('b' as const),
        node: fc.constant('pir-07'),
        type: fc.constant<ReadingType>('pir'),
        v: fc.integer({ min: 1, max: 2 }).map((n): Values => ({ n })),
      }),
    );
    const op = fc.oneof(readingAt, fc.record({ wait: fc.integer({ min: 1, max: 1200 }) }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
        const { a, b, alone, send, wait } = pair();
        for (const o of ops) {
          if ('wait' in o) wait(o.wait * S);
          else send(o.at === 'a' ? a : b, o.node, o.type, o.v);
          expect(a.engine.level('z-braja')).toBe(alone.level('z-braja'));
          expect(a.engine.score('z-braja')).toBe(alone.score('z-braja'));
          // B's only local evidence is one PIR (capped at 40): above WASPADA only with A's help, never AWAS.
          expect(b.engine.level('z-braja')).not.toBe('AWAS');
        }
      }),
      { numRuns: 60 },
    );
  });
});
