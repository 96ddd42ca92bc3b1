import type { Logger } from 'pino';
import { monotonicFactory } from 'ulid';
import type { UplinkConfig } from '../config/schema.js';
import type { Clock } from '../domain/index.js';
import type { Outbox, OutboxEventRow, OutboxReadingRow } from '../store/outbox.js';
import { errorMessage } from '../util/errors.js';
import { must } from '../util/must.js';
import type { LiveLink, UplinkLink } from './link.js';
import { capXml, deflatePayload, eventRowJson, readingsBatchWithin } from './payloads.js';
import type { UplinkTopics } from './topics.js';

/** A batch of readings or a group of events, published and waiting for its PUBACKs. */
interface Unit {
  kind: 'events' | 'readings';
  oids: number[];
  lastOid: number;
  /** PUBACKs still awaited (events go one message each). */
  pending: number;
}

/** Events fetched per unit: each is its own message, the unit is acked when all are. */
const EVENT_PAGE = 50;

export interface OutboxDrainDeps {
  config: UplinkConfig;
  gatewayId: string;
  villageCode: string;
  outbox: Outbox;
  clock: Clock;
  topics: UplinkTopics;
  link: UplinkLink;
  log: Logger;
}

/**
 * Drains the outbox over the live connection, QoS 1, events before readings, at most
 * `max_inflight` units in flight. An outbox row is deleted only when its PUBACK arrived; `reset`
 * forgets what is in flight, which then goes again (same ids) once the link is up.
 */
export class OutboxDrain {
  private readonly ulid = monotonicFactory();
  private readonly units = new Set<Unit>();
  private inflightSinceMono = 0;
  private lastPubackMono = 0;
  private partialSinceMono: number | undefined;
  /** Set by `flush`: partial batches go at once (the forwarder is stopping). */
  private flushing = false;

  private wakeScheduled = false;
  private pumping = false;
  private repump = false;
  private partialTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  lastPubackTs: number | null = null;
  sentReadings = 0;
  sentEvents = 0;

  constructor(private readonly deps: OutboxDrainDeps) {}

  /** Units published and waiting for their PUBACKs. */
  get inflight(): number {
    return this.units.size;
  }

  /** When delivery last made progress (first unit in flight, or last PUBACK), monotonic ms. */
  progressMono(): number {
    return Math.max(this.inflightSinceMono, this.lastPubackMono);
  }

  /** New outbox rows committed: pump soon (coalesced, cheap). */
  wake(): void {
    if (this.wakeScheduled || !this.deps.link.live()) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.pump();
    });
  }

  /** From now on, partial batches go without waiting for `max_delay_ms`; pumps at once. */
  flush(): void {
    this.flushing = true;
    this.pump();
  }

  /** The connection is gone: forget everything in flight. */
  reset(): void {
    this.units.clear();
    this.partialSinceMono = undefined;
  }

  clearTimers(): void {
    for (const t of [this.partialTimer, this.retryTimer]) if (t) clearTimeout(t);
    this.partialTimer = this.retryTimer = undefined;
  }

  /** Fills free in-flight slots: events first, then readings in full batches (or partial after max_delay_ms). */
  pump(): void {
    if (this.pumping) {
      this.repump = true;
      return;
    }
    if (!this.deps.link.live()) return;
    this.pumping = true;
    this.repump = false;
    const { outbox, config } = this.deps;
    const { max_inflight } = config;
    const { max_readings, max_delay_ms } = config.batch;
    try {
      for (
        let live = this.deps.link.live();
        live && this.units.size < max_inflight;
        live = this.deps.link.live()
      ) {
        const events = outbox.nextEvents(EVENT_PAGE, this.cursor('events'));
        if (events.length > 0) {
          this.sendEvents(live, events);
          continue;
        }
        const after = this.cursor('readings');
        const queued = outbox.countReadings(after, max_readings);
        if (queued === 0) {
          this.partialSinceMono = undefined;
          break;
        }
        if (queued < max_readings && !this.flushing) {
          const now = this.deps.link.mono();
          this.partialSinceMono ??= now;
          const wait = max_delay_ms - (now - this.partialSinceMono);
          if (wait > 0) {
            this.armPartialTimer(wait);
            break;
          }
        }
        const rows = outbox.nextReadings(max_readings, after);
        if (rows.length === 0) continue; // only pruned orphans, now cleaned
        const batch = readingsBatchWithin(this.deps.gatewayId, this.ulid(), rows, config.batch.max_bytes);
        // Cut short by bytes: the rest has waited already and goes next, at once.
        if (rows.length < max_readings && batch.count === rows.length) this.partialSinceMono = undefined;
        this.sendReadings(live, rows.slice(0, batch.count), batch.json);
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
      this.pump();
    }
  }

  private cursor(kind: Unit['kind']): number {
    let max = 0;
    for (const u of this.units) if (u.kind === kind && u.lastOid > max) max = u.lastOid;
    return max;
  }

  private armPartialTimer(ms: number): void {
    if (this.partialTimer) return;
    this.partialTimer = setTimeout(() => {
      this.partialTimer = undefined;
      this.pump();
    }, ms);
  }

  private addUnit(kind: Unit['kind'], rows: readonly { oid: number }[], pending: number): Unit {
    const unit: Unit = {
      kind,
      oids: rows.map((r) => r.oid),
      lastOid: must(rows.at(-1), 'the last row of an outbox unit').oid,
      pending,
    };
    if (this.units.size === 0) this.inflightSinceMono = this.deps.link.mono();
    this.units.add(unit);
    return unit;
  }

  private sendEvents({ client, gen }: LiveLink, rows: OutboxEventRow[]): void {
    const unit = this.addUnit('events', rows, rows.length);
    for (const row of rows) {
      const xml = capXml(row.kind, row.fields);
      const json = xml ?? eventRowJson(row, this.deps.villageCode);
      const topic = xml === undefined ? this.deps.topics.events : this.deps.topics.cap;
      this.deps.link.countBytes(json);
      client.publish(topic, json, { qos: 1 }, (err) => this.onPuback(unit, gen, err));
    }
  }

  private sendReadings({ client, gen }: LiveLink, rows: OutboxReadingRow[], json: string): void {
    const { topics } = this.deps;
    const [only] = rows;
    if (
      rows.length === 1 &&
      only !== undefined &&
      Buffer.byteLength(json) > this.deps.config.batch.max_bytes
    ) {
      // Never stuck behind it: it goes alone. A broker whose limit is smaller still drops it.
      this.deps.log.warn(
        { id: only.id, bytes: Buffer.byteLength(json), max_bytes: this.deps.config.batch.max_bytes },
        'a reading larger than uplink.batch.max_bytes goes alone',
      );
    }
    const deflate = this.deps.config.compress === 'deflate';
    const payload = deflate ? deflatePayload(json) : json;
    const unit = this.addUnit('readings', rows, 1);
    this.deps.link.countBytes(payload);
    client.publish(deflate ? topics.readingsZ : topics.readings, payload, { qos: 1 }, (err) =>
      this.onPuback(unit, gen, err),
    );
  }

  private onPuback(unit: Unit, gen: number, err: Error | undefined): void {
    const { link } = this.deps;
    if (!link.isCurrent(gen) || !this.units.has(unit)) return;
    if (err) {
      link.noteError(`publish refused: ${err.message}`);
      link.drop('publish error');
      return;
    }
    if (--unit.pending > 0) return;
    this.units.delete(unit);
    this.lastPubackMono = link.mono();
    this.lastPubackTs = this.deps.clock.now();
    try {
      this.deps.outbox.ack(unit.kind, unit.oids);
    } catch (e) {
      // Not deleted: sent again later with the same ids, which the centre drops as duplicates.
      link.noteError(`cannot ack outbox rows: ${errorMessage(e)}`);
    }
    if (unit.kind === 'events') this.sentEvents += unit.oids.length;
    else this.sentReadings += unit.oids.length;
    this.pump();
  }
}
