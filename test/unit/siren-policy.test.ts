import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SirenPolicy } from '../../src/config/schema.js';
import { LEVELS, type Level, ManualClock } from '../../src/domain/index.js';
import type { SirenStorePort } from '../../src/sirens/controller.js';
import {
  budgetCapMs,
  budgetFreeAt,
  clampSilenceMinutes,
  HOUR_MS,
  type OnInterval,
  onMsInWindow,
  patternAt,
  soundsAt,
} from '../../src/sirens/policy.js';
import { RecordingSiren } from '../fakes/recording-siren.js';
import { must } from '../helpers/must.js';
import { levelChange, sirenConfig, sirenRig } from '../helpers/siren-rig.js';

const S = 1000;

describe('siren policy (pure)', () => {
  it('sounds at sound_at and above', () => {
    expect(LEVELS.filter((l) => soundsAt(l, { sound_at: 'AWAS' }))).toEqual(['AWAS']);
    expect(LEVELS.filter((l) => soundsAt(l, { sound_at: 'SIAGA' }))).toEqual(['SIAGA', 'AWAS']);
  });

  it('plays on_s on, off_s off from the anchor', () => {
    const p = { on_s: 20, off_s: 10 };
    expect(patternAt(p, 0, 0)).toEqual({ on: true, nextToggle: 20 * S });
    expect(patternAt(p, 0, 19_999)).toEqual({ on: true, nextToggle: 20 * S });
    expect(patternAt(p, 0, 20 * S)).toEqual({ on: false, nextToggle: 30 * S });
    expect(patternAt(p, 0, 30 * S)).toEqual({ on: true, nextToggle: 50 * S });
    expect(patternAt({ on_s: 20, off_s: 0 }, 0, 99 * S).on).toBe(true);
  });

  it('counts on-time in the sliding hour, open intervals up to now', () => {
    const iv: OnInterval[] = [
      { start: 0, end: 100 * S },
      { start: 3000 * S, end: null },
    ];
    expect(onMsInWindow(iv, 3100 * S)).toBe(200 * S);
    expect(onMsInWindow(iv, HOUR_MS + 50 * S)).toBe(50 * S + (HOUR_MS + 50 * S - 3000 * S));
  });

  it('finds when enough budget has left the window', () => {
    const iv: OnInterval[] = [
      { start: 0, end: 300 * S },
      { start: 1000 * S, end: 1300 * S },
    ];
    const cap = budgetCapMs({ max_on_s_per_hour: 600 }, false);
    expect(cap).toBe(600 * S);
    expect(budgetCapMs({ max_on_s_per_hour: 600 }, true)).toBe(1200 * S);
    // 600 s used at t=1300 s: 10 s free again when the first 10 s of on-time left the window.
    expect(budgetFreeAt(iv, 1300 * S, cap, 10 * S)).toBe(HOUR_MS + 10 * S);
    expect(budgetFreeAt(iv, 1300 * S, cap + 10 * S, 10 * S)).toBe(1300 * S);
    const free = budgetFreeAt(iv, 1300 * S, cap, 400 * S);
    expect(free).toBe(HOUR_MS + 1100 * S);
    expect(onMsInWindow(iv, free)).toBe(200 * S);
  });

  it('clamps silences to max_silence_min and refuses nonsense', () => {
    expect(clampSilenceMinutes(30, { max_silence_min: 240 })).toBe(30);
    expect(clampSilenceMinutes(1000, { max_silence_min: 240 })).toBe(240);
    for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => clampSilenceMinutes(bad, { max_silence_min: 240 })).toThrow(/positive/);
    }
  });
});

/** Max on-time in any sliding hour, given on/off switch times (the max is reached at an interval end). */
function maxWindowMs(on: number[], off: number[], end: number): number {
  const iv: OnInterval[] = on.map((s, i) => ({ start: s, end: off[i] ?? end }));
  let max = 0;
  for (const t of [...iv.map((i) => i.end ?? end), end]) max = Math.max(max, onMsInWindow(iv, t));
  return max;
}

type Op =
  | { k: 'level'; zone: number; level: Level; manual: boolean }
  | { k: 'retrigger'; zone: number }
  | { k: 'wait'; s: number }
  | { k: 'silence'; zone: number; min: number }
  | { k: 'unsilence'; zone: number };

const nullStore: SirenStorePort = {
  silences: () => [],
  setSilence: () => undefined,
  deleteSilence: () => undefined,
  openLog: () => 0,
  closeLog: () => undefined,
  openLogs: () => [],
  logsSince: () => [],
};

function opArb(manual: boolean): fc.Arbitrary<Op> {
  const zone = fc.integer({ min: 0, max: 1 });
  return fc.oneof(
    fc.record({
      k: fc.constant('level' as const),
      zone,
      level: fc.constantFrom(...LEVELS),
      manual: manual ? fc.boolean() : fc.constant(false),
    }),
    fc.record({ k: fc.constant('retrigger' as const), zone }),
    fc.record({ k: fc.constant('wait' as const), s: fc.integer({ min: 1, max: 1200 }) }),
    fc.record({ k: fc.constant('silence' as const), zone, min: fc.integer({ min: 1, max: 60 }) }),
    fc.record({ k: fc.constant('unsilence' as const), zone }),
  );
}

const policyArb: fc.Arbitrary<SirenPolicy> = fc.record({
  sound_at: fc.constantFrom('SIAGA' as const, 'AWAS' as const),
  on_s: fc.integer({ min: 1, max: 60 }),
  off_s: fc.integer({ min: 0, max: 30 }),
  max_activation_s: fc.integer({ min: 10, max: 900 }),
  max_on_s_per_hour: fc.integer({ min: 5, max: 600 }),
  self_test_s: fc.constant(2),
  max_silence_min: fc.constant(240),
});

/** Drives a real controller with fake time and returns the worst sliding hour per siren. */
async function run(policy: SirenPolicy, ops: Op[]): Promise<{ worstMs: number; capMs: number }> {
  const clock = new ManualClock(1_800_000_000_000);
  const sirens = [new RecordingSiren('a', clock), new RecordingSiren('b', clock)];
  const zones = ['z0', 'z1'];
  const zoneAt = (i: number) => must(zones[i], `zone ${i}`);
  const { ctl, timers } = sirenRig({
    // Siren a is shared by both zones: it must still respect one budget.
    config: sirenConfig({ z0: ['a'], z1: ['a', 'b'] }, policy),
    sirens,
    clock,
    store: nullStore,
  });
  await ctl.start();
  for (const s of sirens) s.clear();
  const levels: Level[] = ['NORMAL', 'NORMAL'];
  for (const op of ops) {
    if (op.k === 'wait') timers.advance(op.s * S);
    else if (op.k === 'retrigger') ctl.onEngineOutput({ changes: [], retriggered: [zoneAt(op.zone)] });
    else if (op.k === 'silence') ctl.silence(zoneAt(op.zone), op.min, 'prop');
    else if (op.k === 'unsilence') ctl.unsilence(zoneAt(op.zone), 'prop');
    else {
      const prev = must(levels[op.zone], `level of zone ${op.zone}`);
      levels[op.zone] = op.level;
      ctl.onEngineOutput({
        changes: [{ ...levelChange(zoneAt(op.zone), op.level, prev, op.manual), allClear: false }],
        retriggered: [],
      });
    }
  }
  timers.advance(2 * HOUR_MS);
  const end = clock.now();
  let worstMs = 0;
  for (const s of sirens) {
    const on = s.times('on');
    const off = s.times('off');
    // Switches alternate: the controller never sends on twice without an off between.
    expect(on.length - off.length).toBeLessThanOrEqual(1);
    expect(on.length).toBeGreaterThanOrEqual(off.length);
    worstMs = Math.max(worstMs, maxWindowMs(on, off, end));
  }
  return { worstMs, capMs: policy.max_on_s_per_hour * S };
}

describe('hourly budget (property, real controller with fake time)', () => {
  let atCap = 0;
  it('never exceeds max_on_s_per_hour, whatever the sequence of changes, retriggers and waits', async () => {
    await fc.assert(
      fc.asyncProperty(policyArb, fc.array(opArb(false), { maxLength: 60 }), async (policy, ops) => {
        const { worstMs, capMs } = await run(policy, ops);
        expect(worstMs).toBeLessThanOrEqual(capMs);
        if (worstMs === capMs) atCap++;
      }),
      { numRuns: 300 },
    );
    // The generator must actually reach the cap often, or the property proves little.
    expect(atCap).toBeGreaterThan(10);
  });

  let overCap = 0;
  it('with manual presses, never exceeds the hard cap of 2 × max_on_s_per_hour', async () => {
    await fc.assert(
      fc.asyncProperty(policyArb, fc.array(opArb(true), { maxLength: 60 }), async (policy, ops) => {
        const { worstMs, capMs } = await run(policy, ops);
        expect(worstMs).toBeLessThanOrEqual(2 * capMs);
        if (worstMs > capMs) overCap++;
      }),
      { numRuns: 300 },
    );
    // Manual presses did use the extra budget in some runs.
    expect(overCap).toBeGreaterThan(5);
  });
});
