/**
 * A seeded random source (mulberry32): the same seed gives the same month of nights, so two
 * configs are compared on exactly the same herds and noise, and a result can be reproduced.
 */
export class Rng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  uniform([lo, hi]: readonly [number, number]): number {
    return lo + (hi - lo) * this.next();
  }

  /** Whole number in [lo, hi]. */
  int([lo, hi]: readonly [number, number]): number {
    return Math.floor(lo + (hi - lo + 1) * this.next());
  }

  normal(sd = 1): number {
    const u = 1 - this.next();
    return sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Poisson count with mean `mean` (Knuth; fine for the small means used here). */
  poisson(mean: number): number {
    const l = Math.exp(-mean);
    let k = 0;
    let p = 1;
    do {
      k++;
      p *= this.next();
    } while (p > l);
    return k - 1;
  }

  pick<T>(items: readonly T[], weight: (t: T) => number): T {
    const total = items.reduce((a, t) => a + weight(t), 0);
    let r = this.next() * total;
    for (const t of items) {
      r -= weight(t);
      if (r < 0) return t;
    }
    return items[items.length - 1] as T;
  }

  /** An independent stream for one part of the world (herds, noise…), so adding one does not shift the other. */
  fork(salt: number): Rng {
    return new Rng(Math.imul(this.s ^ salt, 2654435761) ^ salt);
  }
}
