import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Backoff, backoffCap } from '../../src/util/backoff.js';
import { must } from '../helpers/must.js';

const rand = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('reconnect backoff', () => {
  it('stays within [min, max] for any random source, both jitters', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 5000 }),
        fc.integer({ min: 0, max: 120_000 }),
        fc.array(rand, { minLength: 1, maxLength: 60 }),
        fc.constantFrom('full' as const, 'decorrelated' as const),
        (minMs, extra, rs, jitter) => {
          const maxMs = minMs + extra;
          let i = 0;
          const b = new Backoff({
            minMs,
            maxMs,
            jitter,
            random: () => must(rs[i++ % rs.length], 'a random draw'),
          });
          for (let k = 0; k < 80; k++) {
            const d = b.next();
            expect(d).toBeGreaterThanOrEqual(minMs);
            expect(d).toBeLessThanOrEqual(maxMs);
          }
        },
      ),
    );
  });

  it('grows: the full-jitter cap doubles from 1 s to 60 s and the delays follow it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), (attempt) => {
        expect(backoffCap(attempt + 1, 1000, 60_000)).toBeGreaterThanOrEqual(
          backoffCap(attempt, 1000, 60_000),
        );
      }),
    );
    // with the top of the random range, delays are exactly the cap: 1, 2, 4 … 32, 60, 60 s
    const hi = new Backoff({ minMs: 1000, maxMs: 60_000, random: () => 0.999999999 });
    expect(Array.from({ length: 8 }, () => hi.next())).toEqual([
      1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000,
    ]);
    fc.assert(
      fc.property(rand, (r) => {
        const b = new Backoff({ minMs: 1000, maxMs: 60_000, random: () => r });
        const ds = Array.from({ length: 10 }, () => b.next());
        // Never shorter than the one before: the delays, in order, are already sorted.
        expect(ds).toEqual([...ds].sort((a, b) => a - b));
      }),
    );
  });

  it('spreads 650 gateways: their delays after the same outage are not all equal', () => {
    const delays = new Set<number>();
    for (let g = 0; g < 650; g++) {
      const b = new Backoff({ minMs: 1000, maxMs: 60_000 });
      for (let k = 0; k < 5; k++) b.next();
      delays.add(b.next());
    }
    expect(delays.size).toBeGreaterThan(400);
  });

  it('reset() starts again from the minimum', () => {
    const b = new Backoff({ minMs: 1000, maxMs: 60_000, random: () => 0.99 });
    for (let k = 0; k < 10; k++) b.next();
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(1000);
  });

  it('refuses nonsense bounds', () => {
    expect(() => new Backoff({ minMs: 0, maxMs: 10 })).toThrow(RangeError);
    expect(() => new Backoff({ minMs: 100, maxMs: 10 })).toThrow(RangeError);
  });
});

describe('Backoff without jitter (a local serial adapter)', () => {
  it('doubles from min and caps at max, the same rhythm every time, and starts over after reset', () => {
    const b = new Backoff({ minMs: 500, maxMs: 5000, jitter: 'none', random: () => 0.99 });
    expect(Array.from({ length: 8 }, () => b.next())).toEqual([
      500, 1000, 2000, 4000, 5000, 5000, 5000, 5000,
    ]);
    b.reset();
    expect(b.next()).toBe(500);
  });
});
