import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import type { StoredReading } from './readings.js';

/** An event the uplink still owes the centre, with its outbox row id. */
export interface OutboxEventRow {
  oid: number;
  id: string;
  ts: number;
  kind: string;
  /** JSON text, as stored. */
  fields: string;
}

/** A reading the uplink still owes the centre. `v` and `radio` stay JSON text (never parsed here). */
export interface OutboxReadingRow extends StoredReading {
  oid: number;
}

/** A queued reading as `[oid, its JSON inside a batch]` (docs/wire.md §3), built by SQLite. */
export type OutboxReadingJson = [oid: number, json: string];

export interface Backlog {
  events: number;
  readings: number;
}

/** Which queue a row is in. */
export type OutboxKind = 'events' | 'readings';

/**
 * Read side of the outbox (the ingest writer queues rows in the same transaction as the
 * reading/event). Rows are keyed by the event's/reading's rowid, which the forwarder calls `oid`:
 * paging is by it, oldest first, so a month-long backlog costs disk, not RAM.
 *
 * Paging contract: rows with `oid <= afterOid` are skipped. The forwarder passes the largest oid
 * it has in flight; new rows get a larger rowid, and in-flight rows are still queued, so nothing
 * queued later can hide below that cursor (a `readings.resend` re-queues old rows, which are
 * picked up once the cursor restarts from 0 when nothing is in flight).
 *
 * A queued row whose reading/event was pruned meanwhile (retention) cannot be sent: it is
 * deleted when met, so it neither blocks the queue nor inflates the backlog for ever.
 */
export class Outbox {
  private readonly qEvents: Statement<[number, number]>;
  private readonly qReadings: Statement<[number, number]>;
  private readonly qReadingsJson: Statement<[number, number]>;
  private readonly qPageRids: Statement<[number, number]>;
  private readonly qReadingsJsonRange: Statement<[number, number]>;
  private readonly qAck: Record<OutboxKind, Statement<[string]>>;
  private readonly qAckRange: Record<OutboxKind, Statement<[number, number]>>;
  private readonly qBacklog: Statement<[]>;
  private readonly qRequeue: Statement<[number, number, number, number]>;
  private readonly qRidBounds: Statement<[]>;

  constructor(db: Db) {
    this.qEvents = db.prepare(
      `SELECT o.eid AS oid, e.id AS id, e.ts AS ts, e.kind AS kind, e.fields AS fields
       FROM outbox_events o LEFT JOIN events e ON e.eid = o.eid
       WHERE o.eid > ? ORDER BY o.eid LIMIT ?`,
    );
    this.qReadings = db.prepare(
      `SELECT o.rid AS oid, r.id AS id, r.node AS node, r.seq AS seq, r.type AS type, r.ts AS ts, r.via AS via,
              r.v AS v, r.radio AS radio, r.clock_ok AS clock_ok
       FROM outbox_readings o LEFT JOIN readings r ON r.rid = o.rid
       WHERE o.rid > ? ORDER BY o.rid LIMIT ?`,
    );
    // The drain's page: each reading serialized once, by SQLite, straight from the stored text
    // (no row object, no JSON.stringify per field); the same bytes as payloads.ts readingJson().
    this.qReadingsJson = db
      .prepare(
        `SELECT o.rid, ${READING_JSON}
         FROM outbox_readings o LEFT JOIN readings r ON r.rid = o.rid
         WHERE o.rid > ? ORDER BY o.rid LIMIT ?`,
      )
      .raw(true) as Statement<[number, number]>;
    // The writer queues a commit's readings as one run of rowids, so a page is nearly always
    // contiguous: then the readings are one range scan of their own table, no lookup per row.
    this.qPageRids = db
      .prepare('SELECT rid FROM outbox_readings WHERE rid > ? ORDER BY rid LIMIT ?')
      .pluck() as Statement<[number, number]>;
    this.qReadingsJsonRange = db
      .prepare(`SELECT r.rid, ${READING_JSON} FROM readings r WHERE r.rid BETWEEN ? AND ? ORDER BY r.rid`)
      .raw(true) as Statement<[number, number]>;
    this.qAck = {
      events: db.prepare('DELETE FROM outbox_events WHERE eid IN (SELECT value FROM json_each(?))'),
      readings: db.prepare('DELETE FROM outbox_readings WHERE rid IN (SELECT value FROM json_each(?))'),
    };
    this.qAckRange = {
      events: db.prepare('DELETE FROM outbox_events WHERE eid BETWEEN ? AND ?'),
      readings: db.prepare('DELETE FROM outbox_readings WHERE rid BETWEEN ? AND ?'),
    };
    this.qBacklog = db.prepare(
      'SELECT (SELECT count(*) FROM outbox_events) AS events, (SELECT count(*) FROM outbox_readings) AS readings',
    );
    // `+ts`: walk the rowid window, never the ts index, so each chunk costs its window, not the range.
    this.qRequeue = db.prepare(
      `INSERT OR IGNORE INTO outbox_readings (rid)
       SELECT rid FROM readings WHERE rid > ? AND rid <= ? AND +ts >= ? AND +ts <= ? ORDER BY rid`,
    );
    // Two subqueries: each min/max alone is one b-tree lookup; together in one SELECT they are a scan.
    this.qRidBounds = db.prepare(
      'SELECT (SELECT min(rid) FROM readings) AS lo, (SELECT max(rid) FROM readings) AS hi',
    );
  }

  /** Up to `limit` queued events after `afterOid`, oldest first. */
  nextEvents(limit: number, afterOid = 0): OutboxEventRow[] {
    return this.clean('events', this.qEvents.all(afterOid, limit) as (OutboxEventRow | Orphan)[]);
  }

  /** Up to `limit` queued readings after `afterOid`, oldest first. */
  nextReadings(limit: number, afterOid = 0): OutboxReadingRow[] {
    return this.clean('readings', this.qReadings.all(afterOid, limit) as (OutboxReadingRow | Orphan)[]);
  }

  /**
   * Up to `limit` queued readings after `afterOid`, oldest first, as their wire JSON: what the
   * drain sends. A pruned reading's row is deleted when met, as in `nextReadings`.
   */
  nextReadingsJson(limit: number, afterOid = 0): OutboxReadingJson[] {
    const rids = this.qPageRids.all(afterOid, limit) as number[];
    const lo = rids[0];
    const hi = rids.at(-1);
    if (lo === undefined || hi === undefined) return [];
    if (hi - lo + 1 === rids.length) {
      // Every rowid in [lo, hi] is queued: the range's readings are the page.
      const rows = this.qReadingsJsonRange.all(lo, hi) as OutboxReadingJson[];
      if (rows.length < rids.length) {
        const found = new Set(rows.map((r) => r[0]));
        this.ack(
          'readings',
          rids.filter((rid) => !found.has(rid)),
        );
      }
      return rows;
    }
    const rows = this.qReadingsJson.all(afterOid, limit) as [number, string | null][];
    const orphans: number[] = [];
    for (const r of rows) if (r[1] === null) orphans.push(r[0]);
    if (orphans.length === 0) return rows as OutboxReadingJson[];
    this.ack('readings', orphans);
    return rows.filter((r): r is OutboxReadingJson => r[1] !== null);
  }

  /**
   * Deletes the rows whose PUBACK arrived, in one statement (one transaction): a rowid range when
   * they are one run (PUBACKs come in publish order, pages are runs), else the list.
   */
  ack(kind: OutboxKind, oids: readonly number[]): void {
    if (oids.length === 0) return;
    const run = contiguousRun(oids) ?? contiguousRun([...oids].sort((a, b) => a - b));
    if (run) this.qAckRange[kind].run(run[0], run[1]);
    else this.qAck[kind].run(JSON.stringify(oids));
  }

  backlog(): Backlog {
    return this.qBacklog.get() as Backlog;
  }

  /**
   * `readings.resend`: queues again every stored reading with `from <= ts <= to` (epoch ms) that
   * is not queued already. Ids stay the same, so the centre de-duplicates. One step per
   * `chunkRows` rowids, yielding the rows it queued: the caller lets the event loop run between
   * steps (690k rows in one statement blocked it for 0.5 s, 2 s on a Pi, near the watchdog).
   */
  *requeueChunks(from: number, to: number, chunkRows = 5000): Generator<number, void, void> {
    const { lo, hi } = this.qRidBounds.get() as { lo: number | null; hi: number | null };
    if (lo === null || hi === null) return;
    for (let after = lo - 1; after < hi; after += chunkRows)
      yield this.qRequeue.run(after, after + chunkRows, from, to).changes;
  }

  /** All of `requeueChunks` at once, blocking: for tests and tools, not the running gateway. */
  requeue(from: number, to: number): number {
    let n = 0;
    for (const queued of this.requeueChunks(from, to)) n += queued;
    return n;
  }

  private clean<T extends { oid: number; id: string | null }>(kind: OutboxKind, rows: (T | Orphan)[]): T[] {
    const orphans: number[] = [];
    const out: T[] = [];
    for (const r of rows) {
      if (r.id === null) orphans.push(r.oid);
      else out.push(r as T);
    }
    if (orphans.length > 0) this.ack(kind, orphans);
    return out;
  }
}

/** `[first, last]` when `oids` is ascending by exactly one each step, else undefined. */
function contiguousRun(oids: readonly number[]): [number, number] | undefined {
  const first = oids[0];
  if (first === undefined) return undefined;
  for (let i = 1; i < oids.length; i++) if (oids[i] !== first + i) return undefined;
  return [first, first + oids.length - 1];
}

/** A reading row `r` as its JSON inside a batch (docs/wire.md §3): NULL when the row is gone. */
const READING_JSON = `'{"id":' || json_quote(r.id) || ',"node":' || json_quote(r.node) || ',"seq":' || r.seq ||
  ',"type":' || json_quote(r.type) || ',"ts":' || r.ts || ',"via":' || json_quote(r.via) ||
  ',"v":' || r.v || coalesce(',"radio":' || r.radio, '') ||
  CASE WHEN r.clock_ok = 0 THEN ',"clock_ok":false}' ELSE '}' END`;

interface Orphan {
  oid: number;
  id: null;
}
