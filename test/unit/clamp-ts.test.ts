import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clampNodeTs, MAX_FUTURE_MS } from '../../src/gateway/clamp-ts.js';

const NOW = Date.parse('2026-11-25T21:00:00Z');
const DAY = 86_400_000;
const RET = 30 * DAY;
const base = { now: NOW, clockOk: true, previousTs: NOW - 60_000, retentionMs: RET };

describe('clampNodeTs: a bad node clock cannot get fresh data pruned (issue 11.10)', () => {
  it('keeps a plausible node time', () => {
    expect(clampNodeTs({ ...base, nodeTs: NOW - 5000 })).toEqual({ ts: NOW - 5000, clamped: false });
    expect(clampNodeTs({ ...base, nodeTs: NOW + DAY })).toEqual({ ts: NOW + DAY, clamped: false });
    // a node catching up after a gap of two weeks is fine
    expect(clampNodeTs({ ...base, nodeTs: NOW - 14 * DAY })).toEqual({ ts: NOW - 14 * DAY, clamped: false });
  });

  it('more than a day in the future: the gateway time, flagged', () => {
    expect(clampNodeTs({ ...base, nodeTs: NOW + DAY + 1 })).toEqual({ ts: NOW, clamped: 'future' });
    expect(clampNodeTs({ ...base, nodeTs: NOW + 365 * DAY })).toEqual({ ts: NOW, clamped: 'future' });
  });

  it('behind its previous reading by more than retention: the gateway time, flagged', () => {
    expect(clampNodeTs({ ...base, previousTs: NOW, nodeTs: NOW - RET - 1 })).toEqual({
      ts: NOW,
      clamped: 'past',
    });
    // the first reading of a node has nothing to compare with
    expect(clampNodeTs({ ...base, previousTs: undefined, nodeTs: NOW - RET - 1 })).toEqual({
      ts: NOW - RET - 1,
      clamped: false,
    });
  });

  it('an unsynced gateway clock cannot call a node time "future"', () => {
    const now = Date.parse('1970-01-02T00:00:00Z');
    expect(clampNodeTs({ ...base, now, clockOk: false, previousTs: undefined, nodeTs: NOW })).toEqual({
      ts: NOW,
      clamped: false,
    });
  });

  it('property: the stored ts is never over a day ahead of a synced clock, nor further behind the previous reading than retention', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: NOW - 400 * DAY, max: NOW + 400 * DAY }),
        fc.option(fc.integer({ min: NOW - 400 * DAY, max: NOW + DAY }), { nil: undefined }),
        fc.integer({ min: 1, max: 3650 }),
        (nodeTs, previousTs, days) => {
          const retentionMs = days * DAY;
          const v = clampNodeTs({ nodeTs, now: NOW, clockOk: true, previousTs, retentionMs });
          expect(v.ts).toBeLessThanOrEqual(NOW + MAX_FUTURE_MS);
          if (previousTs !== undefined && previousTs <= NOW) {
            expect(v.ts).toBeGreaterThanOrEqual(previousTs - retentionMs);
          }
          // either the node's own time, untouched, or the gateway's, flagged
          if (v.clamped) expect(v.ts).toBe(NOW);
          else expect(v.ts).toBe(nodeTs);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
