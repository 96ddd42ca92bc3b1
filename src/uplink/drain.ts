import type { Logger } from 'pino';
import type { UplinkConfig } from '../config/schema.js';
import type { Clock, Reading } from '../domain/index.js';
import type { Outbox, OutboxEventRow, OutboxKind } from '../store/outbox.js';
import { errorMessage } from '../util/errors.js';
import { ID_LENGTH, idFactory } from '../util/ids.js';
import { type BatchDecision, batchDecision } from './batch-policy.js';
import { type AheadSource, ReadAhead } from './drain-ahead.js';
import { type Unit, UnitBook } from './drain-units.js';
import type { LiveLink, UplinkLink } from './link.js';
import { LiveDrain } from './live-drain.js';
import type { LiveReadings } from './live-readings.js';
import { capXml, eventRowJson, readingsBodyBudget } from './payloads.js';
import type { UplinkTopics } from './topics.js';

/** An outbox found empty is read again at least this often, ms, even if nothing said it changed. */
const OUTBOX_RECHECK_MS = 1000;

/** Events fetched per unit: each is its own message, the unit is acked when all are. */
const EVENT_PAGE = 50;

/** What the drain reads and deletes (the SQLite `Outbox`; a fake in unit tests). */
export type DrainOutbox = Pick<Outbox, 'nextEvents' | 'ack'> & AheadSource;

export interface OutboxDrainDeps {
  config: UplinkConfig;
  gatewayId: string;
  villageCode: string;
  outbox: DrainOutbox;
  clock: Clock;
  topics: UplinkTopics;
  link: UplinkLink;
  log: Logger;
  /** Readings published before their commit, when `uplink.live_readings` is on. */
  live?: LiveReadings;
  /** The centre acknowledged these readings before their commit: the store must not queue them. */
  onDelivered?(ids: string[]): void;
}

/**
 * Drains the outbox over the live connection, QoS 1, events before readings. Readings batches go
 * up to the adaptive window (`inflight-window.ts`, at most `max_inflight`); events only need a
 * unit under `max_inflight`, so an event committed during a drain never waits for a batch's
 * slot. Readings are batched only while publishes are in flight (`batch-policy.ts`). An outbox row is deleted only when its PUBACK arrived; `reset` forgets what
 * is in flight, which then goes again (same ids) once the link is up.
 */
export class OutboxDrain {
  private readonly batchId = idFactory();
  private readonly units: UnitBook;
  /** The live path, when `uplink.live_readings` is on. */
  private readonly live: LiveDrain | undefined;
  /** Since when queued readings have waited behind publishes in flight. */
  private waitingSinceMono: number | undefined;
  /** Set by `flush`: partial batches go at once (the forwarder is stopping). */
  private flushing = false;
  /**
   * Rows PUBACKed and not yet deleted. PUBACKs that arrive in one socket read are deleted in one
   * statement (one SQLite commit instead of one each); always before the next page is read, or
   * the cursor would find them again.
   */
  private readonly acked: Record<OutboxKind, number[]> = { events: [], readings: [] };
  /** Readings read past the cursor and not sent yet. */
  private readonly ahead: ReadAhead;
  private wakeScheduled = false;
  /** Bumped whenever the outbox may have changed behind the drain's back. */
  private outboxGen = 1;
  /** The generation the drain last found the outbox empty of anything new in, and when. */
  private outboxSeenGen = 0;
  private outboxSeenMono = 0;
  /** The same for the events alone: a backlog's readings are never found empty. */
  private eventsSeenGen = 0;
  private eventsSeenMono = 0;
  private pumping = false;
  private repump = false;
  private partialTimer: NodeJS.Timeout | undefined;
  private partialDueMono = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  lastPubackTs: number | null = null;
  sentReadings = 0;
  sentEvents = 0;

  constructor(private readonly deps: OutboxDrainDeps) {
    const { config, topics, link, log } = deps;
    this.units = new UnitBook({
      config,
      topics,
      link,
      log,
      gatewayId: deps.gatewayId,
      onDone: (unit) => this.onDone(unit),
    });
    this.ahead = new ReadAhead({
      outbox: deps.outbox,
      cursor: () => this.units.cursor('readings'),
      canPrefetch: () => !this.pumping && link.live() !== undefined,
      noteError: (message) => link.noteError(message),
      packBudget: readingsBodyBudget(deps.gatewayId, ID_LENGTH, config.batch.max_bytes),
    });
    if (deps.live) {
      this.live = new LiveDrain({
        live: deps.live,
        units: this.units,
        link,
        gatewayId: deps.gatewayId,
        maxReadings: config.batch.max_readings,
        maxBytes: config.batch.max_bytes,
        batchId: () => this.batchId(deps.clock.now()),
        ack: (kind, oids) => this.ackRows(kind, oids, this.ackLater()),
        decide: (queued, since, now, window) => this.decide(queued, since, now, window),
        retryIn: (ms) => this.armPartialTimer(ms),
        flushing: () => this.flushing,
        ...(deps.onDelivered ? { onDelivered: deps.onDelivered } : {}),
      });
    }
  }

  /** Units published and waiting for their PUBACKs. */
  get inflight(): number {
    return this.units.size;
  }

  /** Readings batches allowed in flight now (the adaptive window). */
  get windowSize(): number {
    return this.units.window.size;
  }

  /** When delivery last made progress (first unit in flight, or last PUBACK), monotonic ms. */
  progressMono(): number {
    return this.units.progressMono();
  }

  /** Readings waiting to go live (not yet published). */
  get liveQueued(): number {
    return this.live?.queued ?? 0;
  }

  /**
   * A reading just accepted, before its commit: published from memory when the link is up and
   * the live path has room. False leaves it to the outbox (it is committed and queued as usual).
   */
  offer(r: Reading): boolean {
    if (this.live === undefined || !this.live.offer(r)) return false;
    this.schedule();
    return true;
  }

  /** Readings committed (the first with rowid `firstRid`): those on the live path get their rowids. */
  committed(readings: readonly Reading[], firstRid: number): void {
    this.live?.committed(readings, firstRid);
  }

  /** New outbox rows committed (or queued by a resend): pump soon (coalesced, cheap). */
  wake(): void {
    this.outboxChanged();
    this.schedule();
  }

  /** Something of the drain's own moved (a PUBACK, a live reading): pump soon, the outbox as known. */
  private schedule(): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.run();
    });
  }

  /** The outbox may hold rows the drain has not seen: the next pump reads it. */
  private outboxChanged(): void {
    this.outboxGen++;
  }

  /** From now on, partial batches go without waiting for PUBACKs; pumps at once. */
  flush(): void {
    this.flushing = true;
    this.pump();
  }

  /** The connection is gone: forget everything in flight (what was PUBACKed is still deleted). */
  reset(): void {
    this.units.clear();
    this.ahead.clear();
    this.waitingSinceMono = undefined;
    this.live?.reset();
    // What was in flight, and committed live readings, are the outbox's to send again.
    this.outboxChanged();
  }

  /** Stops the timers; rows already PUBACKed are deleted now. */
  clearTimers(): void {
    for (const t of [this.partialTimer, this.retryTimer]) if (t) clearTimeout(t);
    this.partialTimer = this.retryTimer = undefined;
    try {
      this.deleteAcked();
    } catch (e) {
      this.deps.link.noteError(`cannot ack outbox rows: ${errorMessage(e)}`);
    }
  }

  /** Fills free in-flight slots (the outbox read afresh): events first, then readings as `batchDecision` says. */
  pump(): void {
    this.outboxChanged();
    this.run();
  }

  private run(): void {
    if (this.pumping) {
      this.repump = true;
      return;
    }
    this.pumping = true;
    this.repump = false;
    const { outbox, config } = this.deps;
    const { max_inflight } = config;
    const { max_readings } = config.batch;
    // Live readings and their PUBACKs pump a thousand times a second at 1,000 frames/s; an
    // outbox known to hold nothing new is not asked again each time (two queries per pump were
    // a quarter of the gateway's CPU). Looked at again after a commit, a resend, a reconnect or
    // a failed delete, and at least every OUTBOX_RECHECK_MS in case a change went unannounced.
    const gen = this.outboxGen;
    const mono = this.deps.link.mono();
    const look = gen !== this.outboxSeenGen || mono - this.outboxSeenMono >= OUTBOX_RECHECK_MS;
    // While a backlog drains its readings are never found empty, so `look` holds at every
    // PUBACK: events found empty in this generation are not asked for again each time (~8 % of
    // the drain's thread in a profile of P4).
    const lookEvents =
      look && (gen !== this.eventsSeenGen || mono - this.eventsSeenMono >= OUTBOX_RECHECK_MS);
    let eventsSeen = look && !lookEvents;
    let readingsSeen = false;
    try {
      this.deleteAcked();
      let live = this.deps.link.live();
      // The writer runs on this thread: no event can be committed while this loop runs, so the
      // events are read until none is left and then only readings.
      while (lookEvents && live && this.units.size < max_inflight) {
        const events = outbox.nextEvents(EVENT_PAGE, this.units.cursor('events'));
        if (events.length === 0) {
          eventsSeen = true;
          [this.eventsSeenGen, this.eventsSeenMono] = [gen, mono];
          break;
        }
        this.sendEvents(live, events);
        live = this.deps.link.live();
      }
      while (live) {
        const window = this.units.window.size;
        if (this.units.size >= window) {
          // Every slot taken: the next page is read while the broker works.
          this.ahead.soon(max_readings);
          break;
        }
        const now = this.deps.link.mono();
        // Fresh readings first; while they wait for a PUBACK, the backlog may use the free slots.
        if (this.live?.pump(live, now, window)) {
          live = this.deps.link.live();
          continue;
        }
        const queued = look ? this.ahead.fill(max_readings) : this.ahead.count;
        if (look && queued === 0) readingsSeen = true;
        // Readings read one by one go first; a batch is never waited for while more are queued.
        const decision = this.decide(queued, this.waitingSinceMono, now, window);
        if (decision.action === 'idle') {
          this.waitingSinceMono = undefined;
          break;
        }
        if (decision.action === 'wait') {
          this.waitingSinceMono ??= now;
          break;
        }
        this.waitingSinceMono = undefined;
        this.units.publishNext(live, this.ahead, this.batchId(this.deps.clock.now()));
        live = this.deps.link.live();
      }
      if (eventsSeen && readingsSeen && this.outboxGen === gen) {
        this.outboxSeenGen = gen;
        this.outboxSeenMono = this.deps.link.mono();
      }
    } catch (e) {
      // Storage trouble (disk, lock): try again shortly; nothing in flight is lost.
      this.deps.link.noteError(`cannot read outbox: ${errorMessage(e)}`);
      if (!this.retryTimer) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.pump();
        }, 1000);
      }
    } finally {
      this.pumping = false;
    }
    if (this.repump) {
      this.repump = false;
      this.run();
    }
  }

  /**
   * `batchDecision` for `queued` readings waiting since `since` (undefined: they just came), in the
   * window now open; a wait with a deadline arms the partial-batch timer.
   */
  private decide(queued: number, since: number | undefined, now: number, window: number): BatchDecision {
    const { max_readings, max_delay_ms } = this.deps.config.batch;
    const decision = batchDecision({
      inflight: this.units.size,
      queued,
      waitedMs: since === undefined ? 0 : now - since,
      maxInflight: window,
      maxReadings: max_readings,
      maxDelayMs: max_delay_ms,
      flushing: this.flushing,
    });
    if (decision.action === 'wait' && decision.retryMs !== undefined) this.armPartialTimer(decision.retryMs);
    return decision;
  }

  /**
   * Deletes the rows PUBACKed since the last call (one statement per kind). While batches are in
   * flight the deletion may wait to go with later ones (the outbox deletes ~20 batches' rows in
   * one statement, and before any read that could see them); with nothing in flight, or once
   * stopping, whatever waits is deleted now.
   */
  private deleteAcked(): void {
    const later = this.ackLater();
    for (const kind of ['events', 'readings'] as const) {
      const oids = this.acked[kind];
      if (oids.length === 0 && later) continue;
      this.acked[kind] = [];
      this.ackRows(kind, oids, later);
    }
  }

  /** Hands PUBACKed rows to the outbox to delete (`later`: it may wait to go with others). */
  private ackRows(kind: OutboxKind, oids: number[], later: boolean): void {
    try {
      this.deps.outbox.ack(kind, oids, { later });
    } catch (e) {
      // Not deleted: the rows stay queued and the drain must see them again; sent again with the
      // same ids, which the centre drops as duplicates.
      this.deps.link.noteError(`cannot ack outbox rows: ${errorMessage(e)}`);
      this.outboxChanged();
    }
  }

  /** Pumps in `ms`, or sooner if already due sooner (a live hold is shorter than a batch's linger). */
  private armPartialTimer(ms: number): void {
    const due = this.deps.link.mono() + ms;
    if (this.partialTimer) {
      if (this.partialDueMono <= due) return;
      clearTimeout(this.partialTimer);
    }
    this.partialDueMono = due;
    this.partialTimer = setTimeout(() => {
      this.partialTimer = undefined;
      this.run();
    }, ms);
  }

  private sendEvents({ client, gen }: LiveLink, rows: OutboxEventRow[]): void {
    const unit = this.units.add(
      'events',
      rows.map((r) => r.oid),
      rows.length,
    );
    for (const row of rows) {
      const xml = capXml(row.kind, row.fields);
      const json = xml ?? eventRowJson(row, this.deps.villageCode);
      const topic = xml === undefined ? this.deps.topics.events : this.deps.topics.cap;
      this.deps.link.countBytes(json);
      client.publish(topic, json, { qos: 1 }, (err) => this.units.onPuback(unit, gen, err));
    }
  }

  /** A unit's last PUBACK: its rows are deleted with the others of this turn, then the drain pumps. */
  private onDone(unit: Unit): void {
    this.lastPubackTs = this.deps.clock.now();
    const acked = this.acked[unit.kind];
    for (const oid of unit.oids) acked.push(oid);
    if (unit.kind === 'events') this.sentEvents += unit.oids.length;
    else this.sentReadings += unit.oids.length;
    if (unit.live && this.live) this.sentReadings += this.live.settle(unit.live);
    this.schedule();
  }

  /** While batches are in flight and not stopping, PUBACKed rows may be deleted with later ones. */
  private ackLater(): boolean {
    return this.units.size > 0 && !this.flushing;
  }
}
