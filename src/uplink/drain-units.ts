import type { Logger } from 'pino';
import type { UplinkConfig } from '../config/schema.js';
import type { OutboxKind, OutboxReadingJson, ReadingsPack } from '../store/outbox.js';
import { deleteFresh } from '../util/fresh.js';
import { must } from '../util/must.js';
import type { ReadAhead } from './drain-ahead.js';
import { InflightWindow } from './inflight-window.js';
import type { LiveLink, UplinkLink } from './link.js';
import type { LiveEntry } from './live-readings.js';
import { deflatePayload, readingsBatchOfBody, readingsBatchOfJson } from './payloads.js';
import type { UplinkTopics } from './topics.js';

/** A batch of readings or a group of events, published and waiting for its PUBACKs. */
export interface Unit {
  kind: OutboxKind;
  oids: number[];
  lastOid: number;
  /** PUBACKs still awaited (events go one message each). */
  pending: number;
  /** When it was published (monotonic ms): its round trip steers the window. */
  sentMono: number;
  /** It filled the window when sent: a wider one would have sent more. */
  limited: boolean;
  /** Readings sent from memory before their commit (live-readings.ts); `oids` is then empty. */
  live?: LiveEntry[];
}

export interface UnitBookDeps {
  config: UplinkConfig;
  topics: UplinkTopics;
  link: UplinkLink;
  log: Logger;
  gatewayId: string;
  /** A unit's last PUBACK arrived (it has left the book). */
  onDone(unit: Unit): void;
}

/**
 * What is in flight to the centre, for the outbox drain and the live path alike: one set of
 * units, one adaptive window and one PUBACK handler, so an outbox batch and a live batch take
 * slots from the same window and a PUBACK of either steers it.
 */
export class UnitBook {
  private units = new Set<Unit>();
  readonly window: InflightWindow;
  private inflightSinceMono = 0;
  private lastPubackMono = 0;

  constructor(private readonly deps: UnitBookDeps) {
    this.window = new InflightWindow(deps.config.max_inflight);
  }

  get size(): number {
    return this.units.size;
  }

  /** When delivery last made progress (first unit in flight, or last PUBACK), monotonic ms. */
  progressMono(): number {
    return Math.max(this.inflightSinceMono, this.lastPubackMono);
  }

  /** The connection is gone: nothing is in flight any more, and the new link starts a new window. */
  clear(): void {
    this.units = new Set();
    this.window.reset();
  }

  /** The highest outbox row of `kind` in flight: the next page is read after it (0: none). */
  cursor(kind: OutboxKind): number {
    let max = 0;
    for (const u of this.units) if (u.kind === kind && u.lastOid > max) max = u.lastOid;
    return max;
  }

  add(kind: OutboxKind, oids: number[], pending: number, live?: LiveEntry[]): Unit {
    const now = this.deps.link.mono();
    const unit: Unit = {
      kind,
      oids,
      // A live unit has no place in the outbox's order: it never moves the paging cursor.
      lastOid: live ? 0 : must(oids.at(-1), 'the last row of an outbox unit'),
      pending,
      sentMono: now,
      limited: this.units.size + 1 >= this.window.size,
    };
    if (live) unit.live = live;
    if (this.units.size === 0) this.inflightSinceMono = now;
    this.units.add(unit);
    return unit;
  }

  /**
   * The next batch of what is read ahead: the readings read one by one first (as many as fit in
   * `uplink.batch.max_bytes`), else the pack whole.
   */
  publishNext(link: LiveLink, ahead: ReadAhead, batchId: string): void {
    const { rows, pack } = ahead;
    if (rows.length === 0 && pack !== undefined) {
      ahead.drop(0);
      this.publishPack(link, pack, batchId);
      return;
    }
    const { gatewayId, config } = this.deps;
    const batch = readingsBatchOfJson(
      gatewayId,
      batchId,
      rows.map((r) => r[1]),
      config.batch.max_bytes,
    );
    ahead.drop(batch.count);
    this.publishRows(link, batch.count < rows.length ? rows.slice(0, batch.count) : rows, batch.json);
  }

  /** A batch of readings read one by one (`json` is `rows` as a batch). */
  private publishRows(link: LiveLink, rows: OutboxReadingJson[], json: string): void {
    const [only] = rows;
    const unit = this.add(
      'readings',
      rows.map((r) => r[0]),
      1,
    );
    const soleId =
      rows.length === 1 && only !== undefined ? () => (JSON.parse(only[1]) as { id: string }).id : undefined;
    this.publishReadings(link, unit, json, soleId);
  }

  /** A pack taken whole as one batch: its readings' bytes as they were packed, never made strings. */
  private publishPack(link: LiveLink, pack: ReadingsPack, batchId: string): void {
    const oids = new Array<number>(pack.hi - pack.lo + 1);
    for (let i = 0; i < oids.length; i++) oids[i] = pack.lo + i;
    const unit = this.add('readings', oids, 1);
    this.publishReadings(link, unit, readingsBatchOfBody(this.deps.gatewayId, batchId, pack.body), undefined);
  }

  /** `soleId`: the batch holds one reading (how to find its id, for the oversize warning). */
  publishReadings(
    { client, gen }: LiveLink,
    unit: Unit,
    json: string | Buffer,
    soleId: (() => string) | undefined,
  ): void {
    const { topics, config } = this.deps;
    if (soleId !== undefined && Buffer.byteLength(json) > config.batch.max_bytes) {
      // Never stuck behind it: it goes alone. A broker whose limit is smaller still drops it.
      this.deps.log.warn(
        {
          id: soleId(),
          bytes: Buffer.byteLength(json),
          max_bytes: config.batch.max_bytes,
        },
        'a reading larger than uplink.batch.max_bytes goes alone',
      );
    }
    const deflate = config.compress === 'deflate';
    const payload = deflate ? deflatePayload(json) : json;
    this.deps.link.countBytes(payload);
    client.publish(deflate ? topics.readingsZ : topics.readings, payload, { qos: 1 }, (err) =>
      this.onPuback(unit, gen, err),
    );
  }

  /** A PUBACK (or a refusal) for `unit`, published on connection `gen`. */
  onPuback(unit: Unit, gen: number, err: Error | undefined): void {
    const { link } = this.deps;
    if (!link.isCurrent(gen) || !this.units.has(unit)) return;
    if (err) {
      link.noteError(`publish refused: ${err.message}`);
      link.drop('publish error');
      return;
    }
    if (--unit.pending > 0) return;
    this.units = deleteFresh(this.units, unit);
    this.lastPubackMono = link.mono();
    this.window.onAck(this.lastPubackMono - unit.sentMono, unit.limited);
    this.deps.onDone(unit);
  }
}
