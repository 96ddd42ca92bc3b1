import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  INITIAL_WINDOW,
  InflightWindow,
  MIN_WINDOW,
  TARGET_FLOOR_MS,
} from '../../src/uplink/inflight-window.js';

/**
 * A link with a fixed round trip `baseMs` and a bottleneck sending one batch per `serviceMs`:
 * with W batches in flight, a PUBACK comes after max(base, W × service). Runs `acks` PUBACKs of a
 * backlog (every batch sent fills the window) and returns the window after them.
 */
function drain(w: InflightWindow, baseMs: number, serviceMs: number, acks: number): number[] {
  const sizes: number[] = [];
  for (let i = 0; i < acks; i++) {
    w.onAck(Math.max(baseMs, w.size * serviceMs), true);
    sizes.push(w.size);
  }
  return sizes;
}

describe('adaptive in-flight window (delay-based)', () => {
  it('starts at 4 and stays there until a PUBACK says something', () => {
    expect(new InflightWindow(64).size).toBe(INITIAL_WINDOW);
    expect(new InflightWindow(2).size).toBe(2);
  });

  it('on a LAN (1 ms round trip, no queueing) a backlog widens it to max_inflight within a few round trips', () => {
    const w = new InflightWindow(64);
    const sizes = drain(w, 1, 0.01, 200);
    expect(sizes.at(-1)).toBe(64);
    // doubling per round trip: 4 → 64 takes about 60 PUBACKs, not hundreds
    expect(sizes.indexOf(64)).toBeLessThan(80);
  });

  it('does not grow on an idle link: fast PUBACKs of batches that did not fill the window teach nothing', () => {
    const w = new InflightWindow(64);
    for (let t = 1; t <= 500; t++) w.onAck(1, false);
    expect(w.size).toBe(INITIAL_WINDOW);
  });

  it('on a slow link whose bottleneck queues (600 ms round trip, 100 ms per batch) it settles near one round trip of queue', () => {
    const w = new InflightWindow(64);
    const sizes = drain(w, 600, 100, 2000);
    const tail = sizes.slice(-500);
    // 6 batches fill the round trip, 6 more are one round trip of queue; 64 would be 58 queued
    expect(Math.max(...tail)).toBeLessThanOrEqual(16);
    expect(Math.min(...tail)).toBeGreaterThanOrEqual(MIN_WINDOW);
  });

  it('shrinks when the round trip grows past the target, by up to half per round trip, down to 2', () => {
    const w = new InflightWindow(64);
    drain(w, 1, 0.01, 200);
    expect(w.size).toBe(64);
    // the base is 1 ms, the target the 100 ms floor; now every PUBACK takes 1 s
    for (let i = 0; i < 64; i++) w.onAck(1000, true);
    expect(w.size).toBeLessThanOrEqual(33);
    let least = w.size;
    for (let i = 0; i < 200 && w.size > MIN_WINDOW; i++) {
      w.onAck(1000, true);
      least = Math.min(least, w.size);
    }
    expect(least).toBe(MIN_WINDOW);
  });

  it('a link that got slower: at the smallest window its longer round trip becomes the base, and the window grows again', () => {
    const w = new InflightWindow(64);
    w.onAck(5, true);
    expect(w.baseRttMs).toBe(5);
    for (let i = 0; i < 20; i++) w.onAck(800, true);
    expect(w.baseRttMs).toBe(800);
    for (let i = 0; i < 40; i++) w.onAck(800, true);
    expect(w.size).toBeGreaterThan(INITIAL_WINDOW);
  });

  it('a reconnect starts again at 4 with no base round trip', () => {
    const w = new InflightWindow(64);
    drain(w, 1, 0.01, 200);
    w.reset();
    expect(w.size).toBe(INITIAL_WINDOW);
    expect(w.baseRttMs).toBe(Number.POSITIVE_INFINITY);
  });

  it('property: the window stays within 1 … max_inflight (≥ 2 when the ceiling allows) for any PUBACKs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.array(
          fc.record({
            rtt: fc.double({ min: -5, max: 100_000, noNaN: true }),
            limited: fc.boolean(),
          }),
          { maxLength: 300 },
        ),
        (ceiling, acks) => {
          const w = new InflightWindow(ceiling);
          for (const a of acks) {
            w.onAck(a.rtt, a.limited);
            expect(w.size).toBeLessThanOrEqual(ceiling);
            expect(w.size).toBeGreaterThanOrEqual(Math.min(MIN_WINDOW, ceiling));
            expect(Number.isInteger(w.size)).toBe(true);
          }
        },
      ),
    );
  });

  it('property: on any fixed-rate bottleneck the queue it keeps stays near the target, never the whole ceiling', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 2000 }),
        fc.integer({ min: 20, max: 400 }),
        (baseMs, serviceMs) => {
          const w = new InflightWindow(64);
          const sizes = drain(w, baseMs, serviceMs, 3000);
          // The least round trip it can see includes the queue its first window made itself.
          const seenBase = Math.max(baseMs, INITIAL_WINDOW * serviceMs);
          const target = Math.max(seenBase, TARGET_FLOOR_MS);
          for (const s of sizes.slice(-300)) {
            const queueMs = Math.max(0, s * serviceMs - baseMs);
            expect(queueMs).toBeLessThanOrEqual(target + (seenBase - baseMs) + 2 * serviceMs);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
