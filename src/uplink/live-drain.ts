import type { Reading } from '../domain/index.js';
import type { OutboxKind } from '../store/outbox.js';
import type { BatchDecision } from './batch-policy.js';
import type { UnitBook } from './drain-units.js';
import type { LiveLink, UplinkLink } from './link.js';
import { liveHoldMs, nextMeanGap, QUIET_MEAN_GAP } from './live-hold.js';
import type { LiveEntry, LiveReadings } from './live-readings.js';
import { readingsBatchOfJson } from './payloads.js';

export interface LiveDrainDeps {
  live: LiveReadings;
  units: UnitBook;
  link: UplinkLink;
  gatewayId: string;
  maxReadings: number;
  maxBytes: number;
  /** The next batch's id. */
  batchId(): string;
  /** Hands PUBACKed rows to the outbox to delete; a failure is the drain's to note and recover. */
  ack(kind: OutboxKind, oids: number[]): void;
  /** The drain's batch policy for `queued` readings waiting since `since` (undefined: just came). */
  decide(queued: number, since: number | undefined, now: number, window: number): BatchDecision;
  /** Pump again in `ms` if nothing else does first. */
  retryIn(ms: number): void;
  /** The forwarder is stopping: nothing waits. */
  flushing(): boolean;
  /** The centre acknowledged these readings before their commit: the store must not queue them. */
  onDelivered?(ids: string[]): void;
}

/**
 * The drain's live path (`uplink.live_readings`): readings published from memory as they are
 * accepted, before their group commit, in the same in-flight window as the outbox's batches
 * (`UnitBook`). What the live path owns and when a reading goes back to the outbox is
 * `live-readings.ts`; this is when they are published and what their PUBACK settles.
 */
export class LiveDrain {
  /** Since when live readings have waited behind publishes in flight. */
  private waitingSinceMono: number | undefined;
  /** The running mean gap between accepted readings (`live-hold.ts`), and the last arrival. */
  private meanGapMs = QUIET_MEAN_GAP;
  private lastArrivalMono: number | undefined;

  constructor(private readonly deps: LiveDrainDeps) {}

  /** Readings waiting to go (not yet published). */
  get queued(): number {
    return this.deps.live.queued;
  }

  /** Takes `r` if the link is up and there is room; false leaves it to the outbox. */
  offer(r: Reading): boolean {
    if (this.deps.link.live() === undefined || !this.deps.live.offer(r)) return false;
    const now = this.deps.link.mono();
    if (this.lastArrivalMono !== undefined)
      this.meanGapMs = nextMeanGap(this.meanGapMs, now - this.lastArrivalMono);
    this.lastArrivalMono = now;
    return true;
  }

  /** Readings committed (the first with rowid `firstRid`): those on the live path get their rowids. */
  committed(readings: readonly Reading[], firstRid: number): void {
    this.deps.live.committed(readings, firstRid);
  }

  /** The connection is gone: the store and the outbox carry everything from here. */
  reset(): void {
    this.waitingSinceMono = undefined;
    this.deps.live.reset();
  }

  /** Publishes one batch of live readings if the batch policy says so; true when it did. */
  pump(link: LiveLink, now: number, window: number): boolean {
    const { live, units, maxReadings, maxBytes } = this.deps;
    if (live.queued === 0) {
      this.waitingSinceMono = undefined;
      return false;
    }
    const hold = liveHoldMs({
      inflight: units.size,
      queued: live.queued,
      waitedMs: this.waitingSinceMono === undefined ? 0 : now - this.waitingSinceMono,
      meanGapMs: this.meanGapMs,
      maxReadings,
      flushing: this.deps.flushing(),
    });
    if (hold > 0) {
      this.waitingSinceMono ??= now;
      this.deps.retryIn(hold);
      return false;
    }
    const decision = this.deps.decide(live.queued, this.waitingSinceMono, now, window);
    if (decision.action !== 'send') {
      if (decision.action === 'wait') this.waitingSinceMono ??= now;
      return false;
    }
    this.waitingSinceMono = undefined;
    const batch = readingsBatchOfJson(
      this.deps.gatewayId,
      this.deps.batchId(),
      live.peekJson(maxReadings),
      maxBytes,
    );
    const entries = live.take(batch.count);
    const unit = units.add('readings', [], 1, entries);
    const [only] = entries;
    units.publishReadings(link, unit, batch.json, entries.length === 1 && only ? () => only.id : undefined);
    return true;
  }

  /**
   * Live readings PUBACKed: committed ones are handed to the outbox as acknowledged at once, like
   * every other PUBACKed row (it deletes them with others, and always before a read could see
   * them), so the drain cannot send them a second time; the others are never queued.
   * Returns how many readings the centre now has.
   */
  settle(entries: LiveEntry[]): number {
    const { live } = this.deps;
    const { rids, delivered } = live.settle(entries);
    if (delivered.length > 0) this.deps.onDelivered?.(delivered);
    if (rids.length > 0) {
      this.deps.ack('readings', rids);
      live.release(rids);
    }
    return entries.length;
  }
}
