import type { Evidence, EvidenceType } from './evidence.js';

/** Scores are summed as integer micro-points so adding and evicting never drifts. */
export const MICRO = 1_000_000;
export const toMicro = (x: number): number => Math.round(x * MICRO);
export const fromMicro = (m: number): number => m / MICRO;

/**
 * The evidence of one node inside the window, ordered by ts, with running sums. A node only
 * reports its own type (see `scoreReading`), so a bucket is all capped or all strong. Items are
 * kept as parallel number arrays (~32 bytes each): at 1,000 readings/s a 600 s window holds
 * 600,000 items, and a Pi must not spend its RAM and GC time on objects. The Evidence object
 * itself is kept only for strong evidence (cam, gps, btn: rare, and their texts matter).
 */
export class NodeBucket {
  /** Live items are [head, length); the prefix is evicted and compacted away now and then. */
  private tsA: number[] = [];
  private microA: number[] = [];
  private countA: number[] = [];
  private evA: (Evidence | null)[] = [];
  private head = 0;
  /** Micro-points of capped (non-strong) and uncapped (strong) evidence. */
  weak = 0;
  strong = 0;
  /** The newest evidence (by ts) ever added: the single live item's text when size is 1. */
  latest: Evidence | undefined;
  /** A `fence_low` notice was sent for this node and the fence has not recovered since. */
  fenceNotified = false;

  /**
   * @param since ts of the evidence that opened this run of firing: a bucket lives while its node
   *   keeps firing within the window, so it tells how long the node has been at it. A late frame
   *   older than it does not move it (a reading must never make a node older and lower a score).
   * @param ownCap a pooled bucket (neighbour evidence) capped at its own limit instead of node_cap;
   *   it keeps every Evidence object, so one source's items can be withdrawn.
   */
  constructor(
    readonly node: string,
    readonly type: EvidenceType,
    readonly isStrong: boolean,
    readonly since: number,
    readonly ownCap?: number,
  ) {}

  get size(): number {
    return this.tsA.length - this.head;
  }

  contribution(capMicro: number): number {
    return Math.min(this.weak, this.ownCap ?? capMicro) + this.strong;
  }

  /** Live items, oldest first (for a pooled bucket, whose Evidence objects are all kept). */
  items(): { ev: Evidence; ts: number; micro: number }[] {
    const out: { ev: Evidence; ts: number; micro: number }[] = [];
    for (let i = this.head; i < this.tsA.length; i++) {
      const ev = this.evA[i];
      if (ev) out.push({ ev, ts: this.tsA[i] as number, micro: this.microA[i] as number });
    }
    return out;
  }

  /** Ts of the oldest live item, or undefined when empty. */
  oldest(): number | undefined {
    return this.tsA[this.head];
  }

  /** Sum of the live items' detection counts (pir `n`). */
  detections(): number {
    let n = 0;
    for (let i = this.head; i < this.countA.length; i++) n += this.countA[i] as number;
    return n;
  }

  /** Live strong evidence, oldest first (empty for a capped bucket). */
  strongItems(): Evidence[] {
    const out: Evidence[] = [];
    for (let i = this.head; i < this.evA.length; i++) {
      const ev = this.evA[i];
      if (ev) out.push(ev);
    }
    return out;
  }

  add(ev: Evidence, ts: number, micro: number): void {
    const n = this.tsA.length;
    let at = n;
    if (n > this.head && (this.tsA[n - 1] as number) > ts) {
      // Out of order (a late LoRa frame): binary search keeps the bucket sorted by ts.
      let lo = this.head;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((this.tsA[mid] as number) <= ts) lo = mid + 1;
        else hi = mid;
      }
      at = lo;
    }
    const keep = this.isStrong || this.ownCap !== undefined ? ev : null;
    if (at === n) {
      this.tsA.push(ts);
      this.microA.push(micro);
      this.countA.push(ev.count);
      this.evA.push(keep);
    } else {
      this.tsA.splice(at, 0, ts);
      this.microA.splice(at, 0, micro);
      this.countA.splice(at, 0, ev.count);
      this.evA.splice(at, 0, keep);
    }
    if (at === n) this.latest = ev;
    if (this.isStrong) this.strong += micro;
    else this.weak += micro;
  }

  /** Drops items with ts ≤ cutoff. */
  evict(cutoff: number): void {
    const n = this.tsA.length;
    let h = this.head;
    let sum = 0;
    while (h < n && (this.tsA[h] as number) <= cutoff) {
      sum += this.microA[h] as number;
      h++;
    }
    if (h === this.head) return;
    this.head = h;
    if (h === n) {
      this.tsA = [];
      this.microA = [];
      this.countA = [];
      this.evA = [];
      this.head = 0;
      this.weak = 0;
      this.strong = 0;
      return;
    }
    if (this.isStrong) this.strong -= sum;
    else this.weak -= sum;
    if (h > 1024 && h * 2 > n) {
      this.tsA = this.tsA.slice(h);
      this.microA = this.microA.slice(h);
      this.countA = this.countA.slice(h);
      this.evA = this.evA.slice(h);
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

  /** `ownCap` applies when this creates the node's bucket (see `NodeBucket`). */
  add(ev: Evidence, ts: number, micro: number, ownCap?: number): NodeBucket {
    let b = this.buckets.get(ev.node);
    if (b === undefined) {
      b = new NodeBucket(ev.node, ev.type, ev.strong, ts, ownCap);
      this.buckets.set(ev.node, b);
    }
    const before = b.contribution(this.capMicro);
    b.add(ev, ts, micro);
    this.micro += b.contribution(this.capMicro) - before;
    this.nextExpiry = Math.min(this.nextExpiry, ts + this.windowMs);
    return b;
  }

  /**
   * Drops the items of `node`'s pooled bucket for which `keep` is false (a neighbour's evidence
   * withdrawn). Returns whether anything was dropped.
   */
  remove(node: string, keep: (ev: Evidence) => boolean): boolean {
    const b = this.buckets.get(node);
    if (b === undefined) return false;
    const items = b.items();
    const kept = items.filter((i) => keep(i.ev));
    if (kept.length === items.length) return false;
    this.micro -= b.contribution(this.capMicro);
    this.buckets.delete(node);
    if (kept.length === 0) return true;
    const nb = new NodeBucket(node, b.type, b.isStrong, b.since, b.ownCap);
    for (const i of kept) nb.add(i.ev, i.ts, i.micro);
    this.buckets.set(node, nb);
    this.micro += nb.contribution(this.capMicro);
    return true;
  }

  /** Takes over a node's bucket from another window (config reload); call `evict` afterwards. */
  adopt(b: NodeBucket): void {
    this.buckets.set(b.node, b);
    this.micro += b.contribution(this.capMicro);
    this.nextExpiry = Number.NEGATIVE_INFINITY;
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
   * hold then starts when the score really dropped, however late the caller ticks. `extra` adds
   * what the zone earns beyond its nodes' sum (corroboration), computed from the buckets as they are.
   */
  evictTracking(now: number, thrMicro: number, extra: () => number = () => 0): number | undefined {
    if (now < this.nextExpiry) return undefined;
    if (this.micro + extra() < thrMicro) {
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
      if (this.micro + extra() < thrMicro) crossed = firstTs + this.windowMs;
    }
    this.nextExpiry = Number.NEGATIVE_INFINITY; // force the full pass that tidies up and re-sums
    this.evict(now);
    return crossed;
  }
}
