import type { Reading } from '../domain/index.js';
import type { Evidence } from './evidence.js';

/** Scores are summed as integer micro-points so adding and evicting never drifts. */
export const MICRO = 1_000_000;
export const toMicro = (x: number): number => Math.round(x * MICRO);
export const fromMicro = (m: number): number => m / MICRO;

/** One piece of evidence inside a zone's window. */
export interface Held {
  ev: Evidence;
  /** Kept so a config reload can score it again. */
  reading: Reading;
  /** Evidence time clamped to the engine's clock. */
  ts: number;
  micro: number;
}

/** The evidence of one node inside the window, ordered by ts, with running sums. */
export class NodeBucket {
  /** items[head..] are live; the prefix is evicted and compacted away now and then. */
  private items: Held[] = [];
  private head = 0;
  /** Micro-points of capped (non-strong) and uncapped (strong) evidence. */
  weak = 0;
  strong = 0;
  /** A `fence_low` notice was sent for this node and the fence has not recovered since. */
  fenceNotified = false;

  constructor(readonly node: string) {}

  get size(): number {
    return this.items.length - this.head;
  }

  contribution(capMicro: number): number {
    return Math.min(this.weak, capMicro) + this.strong;
  }

  /** Ts of the oldest live item, or undefined when empty. */
  oldest(): number | undefined {
    return this.items[this.head]?.ts;
  }

  live(): Held[] {
    return this.items.slice(this.head);
  }

  add(h: Held): void {
    const items = this.items;
    const last = items[items.length - 1];
    if (last === undefined || last.ts <= h.ts || items.length === this.head) {
      items.push(h);
    } else {
      // Out of order (a late LoRa frame): binary search keeps the bucket sorted by ts.
      let lo = this.head;
      let hi = items.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((items[mid] as Held).ts <= h.ts) lo = mid + 1;
        else hi = mid;
      }
      items.splice(lo, 0, h);
    }
    if (h.ev.strong) this.strong += h.micro;
    else this.weak += h.micro;
  }

  /** Drops items with ts ≤ cutoff. */
  evict(cutoff: number): void {
    const items = this.items;
    while (this.head < items.length && (items[this.head] as Held).ts <= cutoff) {
      const h = items[this.head] as Held;
      if (h.ev.strong) this.strong -= h.micro;
      else this.weak -= h.micro;
      this.head++;
    }
    if (this.head === items.length) {
      this.items = [];
      this.head = 0;
      this.weak = 0;
      this.strong = 0;
    } else if (this.head > 1024 && this.head * 2 > items.length) {
      this.items = items.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * A zone's sliding window: per-node buckets and the zone score
 * (Σ over nodes of min(non-strong, node_cap) + strong), maintained incrementally so a reading
 * costs O(1) amortised and eviction only looks at the zone when something is due to expire.
 */
export class ZoneWindow {
  readonly buckets = new Map<string, NodeBucket>();
  private micro = 0;
  /** Earliest time at which some item expires. */
  private nextExpiry = Number.POSITIVE_INFINITY;

  constructor(
    private readonly windowMs: number,
    private readonly capMicro: number,
  ) {}

  /** Zone score in micro-points. */
  get scoreMicro(): number {
    return this.micro;
  }

  get cap(): number {
    return this.capMicro;
  }

  /** Evidence at `ts` still counts at `now` while now − ts < window. */
  isLive(ts: number, now: number): boolean {
    return now - ts < this.windowMs;
  }

  bucket(node: string): NodeBucket | undefined {
    return this.buckets.get(node);
  }

  add(h: Held): NodeBucket {
    let b = this.buckets.get(h.ev.node);
    if (b === undefined) {
      b = new NodeBucket(h.ev.node);
      this.buckets.set(h.ev.node, b);
    }
    const before = b.contribution(this.capMicro);
    b.add(h);
    this.micro += b.contribution(this.capMicro) - before;
    this.nextExpiry = Math.min(this.nextExpiry, h.ts + this.windowMs);
    return b;
  }

  /** Evicts everything that expired by `now`; cheap when nothing is due. */
  evict(now: number): void {
    if (now < this.nextExpiry) return;
    const cutoff = now - this.windowMs;
    let next = Number.POSITIVE_INFINITY;
    let micro = 0;
    for (const [node, b] of this.buckets) {
      b.evict(cutoff);
      const oldest = b.oldest();
      if (oldest === undefined) {
        this.buckets.delete(node);
        continue;
      }
      next = Math.min(next, oldest + this.windowMs);
      micro += b.contribution(this.capMicro);
    }
    this.micro = micro;
    this.nextExpiry = next;
  }

  /**
   * Like `evict`, but evicts in time order across nodes and returns the moment the score first
   * fell below `thrMicro` (an item's expiry time), or undefined if it did not. The de-escalation
   * hold then starts when the score really dropped, however late the caller ticks.
   */
  evictTracking(now: number, thrMicro: number): number | undefined {
    if (now < this.nextExpiry) return undefined;
    if (this.micro < thrMicro) {
      this.evict(now);
      return undefined;
    }
    const cutoff = now - this.windowMs;
    let crossed: number | undefined;
    while (crossed === undefined) {
      let first: NodeBucket | undefined;
      let firstTs = Number.POSITIVE_INFINITY;
      for (const b of this.buckets.values()) {
        const o = b.oldest();
        if (o !== undefined && o <= cutoff && o < firstTs) {
          first = b;
          firstTs = o;
        }
      }
      if (first === undefined) break;
      const before = first.contribution(this.capMicro);
      first.evict(firstTs);
      this.micro += first.contribution(this.capMicro) - before;
      if (this.micro < thrMicro) crossed = firstTs + this.windowMs;
    }
    this.nextExpiry = Number.NEGATIVE_INFINITY; // force the full pass that tidies up and re-sums
    this.evict(now);
    return crossed;
  }

  /** Every live item of every node, in ts order (for a config reload). */
  all(): Held[] {
    const out: Held[] = [];
    for (const b of this.buckets.values()) out.push(...b.live());
    return out.sort((a, b) => a.ts - b.ts);
  }
}
