/**
 * Reconnect delays: exponential growth from `minMs` to `maxMs` with jitter, so that 650 gateways
 * that lost the centre at the same moment do not all come back at the same moment.
 *
 * - `full`: delay = uniform(minMs, cap) where cap = min(maxMs, minMs · 2^attempt).
 * - `decorrelated` (AWS architecture blog): delay = min(maxMs, uniform(minMs, prev · 3)).
 * - `none`: delay = min(maxMs, minMs · 2^attempt), for a local device (a serial adapter) where
 *   no crowd reconnects at once and a technician expects the same rhythm every time.
 *
 * Both stay within [minMs, maxMs]. `random` is injectable (returns [0, 1)) so tests are exact.
 */
export type Jitter = 'full' | 'decorrelated' | 'none';

export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  jitter?: Jitter;
  random?: () => number;
}

/** The upper bound of the full-jitter delay for a given attempt (0-based). */
export function backoffCap(attempt: number, minMs: number, maxMs: number): number {
  // 2^attempt overflows to Infinity for big attempts, and min() handles that.
  return Math.min(maxMs, minMs * 2 ** Math.max(0, attempt));
}

export class Backoff {
  private attempt = 0;
  private prev: number;
  private readonly jitter: Jitter;
  private readonly random: () => number;

  constructor(private readonly opts: BackoffOptions) {
    if (!(opts.minMs > 0) || !(opts.maxMs >= opts.minMs)) {
      throw new RangeError(`backoff needs 0 < minMs <= maxMs (got ${opts.minMs}, ${opts.maxMs})`);
    }
    this.jitter = opts.jitter ?? 'full';
    this.random = opts.random ?? Math.random;
    this.prev = opts.minMs;
  }

  /** Number of delays handed out since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The next delay in ms. */
  next(): number {
    const { minMs, maxMs } = this.opts;
    const r = clamp01(this.random());
    let d: number;
    if (this.jitter === 'none') {
      d = backoffCap(this.attempt, minMs, maxMs);
    } else if (this.jitter === 'full') {
      const cap = backoffCap(this.attempt, minMs, maxMs);
      d = minMs + r * (cap - minMs);
    } else {
      const hi = Math.max(minMs, this.prev * 3);
      d = Math.min(maxMs, minMs + r * (hi - minMs));
    }
    this.attempt++;
    this.prev = d;
    return Math.round(Math.min(maxMs, Math.max(minMs, d)));
  }

  /** After a connection that worked: start again from the minimum. */
  reset(): void {
    this.attempt = 0;
    this.prev = this.opts.minMs;
  }
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(Math.max(x, 0), 1) : 0;
}
