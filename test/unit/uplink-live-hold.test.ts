import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FAST_GAP_MS,
  GAP_CAP_MS,
  HOLD_FLOOR,
  HOLD_MS,
  type LiveHoldInput,
  liveHoldMs,
  nextMeanGap,
  QUIET_MEAN_GAP,
} from '../../src/uplink/live-hold.js';

const input = fc.record<LiveHoldInput>({
  inflight: fc.nat(8),
  queued: fc.nat(300),
  waitedMs: fc.double({ min: 0, max: 50, noNaN: true }),
  meanGapMs: fc.double({ min: 0, max: GAP_CAP_MS, noNaN: true }),
  maxReadings: fc.integer({ min: 1, max: 500 }),
  flushing: fc.boolean(),
});

describe('live hold (a live batch waiting a moment for company)', () => {
  it('property: never holds longer than HOLD_MS after the oldest reading began to wait', () => {
    fc.assert(
      fc.property(input, (p) => {
        const hold = liveHoldMs(p);
        expect(hold).toBeGreaterThanOrEqual(0);
        if (hold > 0) expect(p.waitedMs + hold).toBeLessThanOrEqual(HOLD_MS + 1e-9);
        if (p.waitedMs >= HOLD_MS) expect(hold).toBe(0);
      }),
    );
  });

  it('property: holds only with nothing in flight, something queued, not stopping, below the floor, at a fast pace', () => {
    fc.assert(
      fc.property(input, (p) => {
        if (liveHoldMs(p) === 0) return;
        expect(p.inflight).toBe(0);
        expect(p.flushing).toBe(false);
        expect(p.queued).toBeGreaterThan(0);
        expect(p.queued).toBeLessThan(Math.min(HOLD_FLOOR, p.maxReadings));
        expect(p.meanGapMs).toBeLessThan(FAST_GAP_MS);
      }),
    );
  });

  it('a quiet gateway never holds: its first reading, or a reading after a quiet spell, goes at once', () => {
    expect(
      liveHoldMs({
        inflight: 0,
        queued: 1,
        waitedMs: 0,
        meanGapMs: QUIET_MEAN_GAP,
        maxReadings: 200,
        flushing: false,
      }),
    ).toBe(0);
    let mean = 0.5;
    mean = nextMeanGap(mean, 60_000);
    for (let i = 0; i < 3; i++) mean = nextMeanGap(mean, 0);
    expect(
      liveHoldMs({ inflight: 0, queued: 1, waitedMs: 0, meanGapMs: mean, maxReadings: 200, flushing: false }),
    ).toBe(0);
  });

  it('at 1,000 readings a second the mean gap falls below the hold; at 10 a second it stays above', () => {
    let fast = QUIET_MEAN_GAP;
    let slow = QUIET_MEAN_GAP;
    for (let i = 0; i < 100; i++) {
      fast = nextMeanGap(fast, 1);
      slow = nextMeanGap(slow, 100);
    }
    expect(fast).toBeLessThan(FAST_GAP_MS);
    expect(slow).toBeGreaterThanOrEqual(FAST_GAP_MS);
  });

  it('property: the mean gap stays between the old mean and the (capped) new gap', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: GAP_CAP_MS, noNaN: true }),
        fc.double({ min: -10, max: 1e7, noNaN: true }),
        (mean, gap) => {
          const capped = Math.min(Math.max(gap, 0), GAP_CAP_MS);
          const next = nextMeanGap(mean, gap);
          expect(next).toBeGreaterThanOrEqual(Math.min(mean, capped) - 1e-9);
          expect(next).toBeLessThanOrEqual(Math.max(mean, capped) + 1e-9);
        },
      ),
    );
  });
});
