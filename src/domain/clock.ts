/** Injected wall clock, so parsers, the engine and policies are testable with plain values. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/**
 * Time that runs `rate` times faster than the wall clock from `start` on: the demo's alerts use it
 * to show an hour of escalation in a minute.
 */
export function scaledClock(rate: number, start = Date.now()): Clock {
  return { now: () => start + (Date.now() - start) * rate };
}
