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

export interface Backlog {
  events: number;
  readings: number;
}

const KIND_EVENT = 0;
const KIND_READING = 1;

/**
 * Read side of the outbox (the ingest writer inserts rows in the same transaction as the
 * reading/event). Pages by `oid`, oldest first, so a month-long backlog costs disk, not RAM.
 *
 * Paging contract: rows with `oid <= afterOid` are skipped. The forwarder passes the largest oid
 * it has in flight; SQLite gives a new row `max(oid)+1`, and in-flight rows are still in the
 * table, so nothing queued later can hide below that cursor.
 *
 * An outbox row whose reading/event was pruned meanwhile (retention) cannot be sent: it is
 * deleted when met, so it neither blocks the queue nor inflates the backlog for ever.
 */
export class Outbox {
  private readonly qEvents: Statement<[number, number]>;
  private readonly qReadings: Statement<[number, number]>;
  private readonly qCountReadings: Statement<[number, number]>;
  private readonly qAck: Statement<[string]>;
  private readonly qBacklog: Statement<[]>;
  private readonly qRequeue: Statement<[number, number]>;

  constructor(db: Db) {
    this.qEvents = db.prepare(
      `SELECT o.oid AS oid, e.id AS id, e.ts AS ts, e.kind AS kind, e.fields AS fields
       FROM outbox o LEFT JOIN events e ON e.eid = o.ref
       WHERE o.kind = ${KIND_EVENT} AND o.oid > ? ORDER BY o.oid LIMIT ?`,
    );
    this.qReadings = db.prepare(
      `SELECT o.oid AS oid, r.id AS id, r.node AS node, r.seq AS seq, r.type AS type, r.ts AS ts, r.via AS via,
              r.v AS v, r.radio AS radio, r.clock_ok AS clock_ok
       FROM outbox o LEFT JOIN readings r ON r.rid = o.ref
       WHERE o.kind = ${KIND_READING} AND o.oid > ? ORDER BY o.oid LIMIT ?`,
    );
    this.qCountReadings = db.prepare(
      `SELECT count(*) AS n FROM (SELECT 1 FROM outbox WHERE kind = ${KIND_READING} AND oid > ? LIMIT ?)`,
    );
    this.qAck = db.prepare('DELETE FROM outbox WHERE oid IN (SELECT value FROM json_each(?))');
    this.qBacklog = db.prepare('SELECT kind, count(*) AS n FROM outbox GROUP BY kind');
    this.qRequeue = db.prepare(
      `INSERT INTO outbox (kind, ref)
       SELECT ${KIND_READING}, r.rid FROM readings r
       WHERE r.ts >= ? AND r.ts <= ?
         AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.kind = ${KIND_READING} AND o.ref = r.rid)
       ORDER BY r.rid`,
    );
  }

  /** Up to `limit` queued events after `afterOid`, oldest first. */
  nextEvents(limit: number, afterOid = 0): OutboxEventRow[] {
    return this.clean(this.qEvents.all(afterOid, limit) as (OutboxEventRow | Orphan)[]);
  }

  /** Up to `limit` queued readings after `afterOid`, oldest first. */
  nextReadings(limit: number, afterOid = 0): OutboxReadingRow[] {
    return this.clean(this.qReadings.all(afterOid, limit) as (OutboxReadingRow | Orphan)[]);
  }

  /** How many readings are queued after `afterOid`, counting at most `limit` (cheap). */
  countReadings(afterOid: number, limit: number): number {
    return (this.qCountReadings.get(afterOid, limit) as { n: number }).n;
  }

  /** Deletes the rows whose PUBACK arrived, in one statement (one transaction). */
  ack(oids: readonly number[]): void {
    if (oids.length === 0) return;
    this.qAck.run(JSON.stringify(oids));
  }

  backlog(): Backlog {
    const b: Backlog = { events: 0, readings: 0 };
    for (const row of this.qBacklog.all() as { kind: number; n: number }[]) {
      if (row.kind === KIND_EVENT) b.events = row.n;
      else if (row.kind === KIND_READING) b.readings = row.n;
    }
    return b;
  }

  /**
   * `readings.resend`: queues again every stored reading with `from <= ts <= to` (epoch ms) that
   * is not queued already. Ids stay the same, so the centre de-duplicates. Returns rows queued.
   */
  requeue(from: number, to: number): number {
    return this.qRequeue.run(from, to).changes;
  }

  private clean<T extends { oid: number; id: string | null }>(rows: (T | Orphan)[]): T[] {
    const orphans: number[] = [];
    const out: T[] = [];
    for (const r of rows) {
      if (r.id === null) orphans.push(r.oid);
      else out.push(r as T);
    }
    if (orphans.length > 0) this.ack(orphans);
    return out;
  }
}

interface Orphan {
  oid: number;
  id: null;
}
