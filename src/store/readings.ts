import type { Radio, Reading, ReadingType, Values, Via } from '../domain/index.js';
import type { Db } from './db.js';
import { multiRowRunner, valueRows } from './multi-row.js';
import { readingsBetween, spansNewestFirst, UNBOUNDED } from './reading-spans.js';

/** The columns of a stored reading as the uplink and export read them (v and radio stay JSON text). */
export interface StoredReading {
  id: string;
  node: string;
  seq: number;
  type: string;
  ts: number;
  via: string;
  v: string;
  radio: string | null;
  clock_ok: number;
}

/** A readings row with its rowid. */
export interface ReadingRow extends StoredReading {
  rid: number;
}

export function rowToReading(r: StoredReading): Reading {
  const reading: Reading = {
    id: r.id,
    node: r.node,
    seq: r.seq,
    type: r.type as ReadingType,
    ts: r.ts,
    via: r.via as Via,
    v: JSON.parse(r.v) as Values,
    clockOk: r.clock_ok === 1,
  };
  if (r.radio) reading.radio = JSON.parse(r.radio) as Radio;
  return reading;
}

export interface ReadingQuery {
  since?: number;
  until?: number;
  node?: string;
  type?: string;
  limit?: number;
}

const COLUMNS = 9;
const INSERT = 'INSERT INTO readings (id, node, seq, type, ts, via, v, radio, clock_ok) VALUES ';

function putReading(to: unknown[], at: number, r: Reading): void {
  to[at] = r.id;
  to[at + 1] = r.node;
  to[at + 2] = r.seq;
  to[at + 3] = r.type;
  to[at + 4] = r.ts;
  to[at + 5] = r.via;
  to[at + 6] = JSON.stringify(r.v);
  to[at + 7] = r.radio ? JSON.stringify(r.radio) : null;
  to[at + 8] = r.clockOk ? 1 : 0;
}

/**
 * Prepared writer of readings and their outbox rows, run inside the group-commit transaction.
 * Readings go in multi-row INSERTs (a 100-row commit is 3 statements: multi-row.ts); the outbox
 * rows of the whole commit are one INSERT … SELECT of the rowids from the first new one up
 * (rowids of a table only one writer appends to grow by one per row, so the last rowid the
 * INSERTs report gives the first: no `max(rid)` query per commit, P1).
 *
 * Readings whose id is in `delivered` (the centre already acknowledged them, sent live before
 * their commit) are stored but not queued. Returns the rowid of the first reading (the others
 * follow by one), 0 when there were none.
 */
export function readingsWriter(
  db: Db,
): (readings: readonly Reading[], delivered?: ReadonlySet<string>) => number {
  const insert = multiRowRunner(db, (k) => INSERT + valueRows(k, COLUMNS), COLUMNS, putReading);
  const queue = db.prepare('INSERT INTO outbox_readings (rid) SELECT rid FROM readings WHERE rid >= ?');
  const queueList = db.prepare('INSERT INTO outbox_readings (rid) SELECT value FROM json_each(?)');
  return (readings, delivered) => {
    if (readings.length === 0) return 0;
    const first = insert(readings) - readings.length + 1;
    if (delivered === undefined || delivered.size === 0) queue.run(first);
    else {
      const owed: number[] = [];
      readings.forEach((r, k) => {
        if (!delivered.has(r.id)) owed.push(first + k);
      });
      if (owed.length > 0) queueList.run(JSON.stringify(owed));
    }
    return first;
  };
}

/** Newer first: by ts, then by arrival. */
const newerFirst = (a: ReadingRow, b: ReadingRow) => b.ts - a.ts || b.rid - a.rid;

/**
 * Stored readings, newest last; used by the CLI and the web API (works while the gateway runs,
 * WAL readers never block). The newest `limit` by ts: the readings after the last span first,
 * then the spans whose times overlap the query, latest-ending first, until `limit` readings are
 * newer than anything a span still to read can hold (reading-spans.ts).
 */
export function queryReadings(db: Db, q: ReadingQuery): Reading[] {
  const limit = q.limit ?? 1000;
  const from = q.since ?? -UNBOUNDED;
  const to = q.until ?? UNBOUNDED;
  const at: Record<string, string | number> = { from, to, limit };
  let filter = '';
  if (q.node !== undefined) {
    filter += ' AND node = @node';
    at.node = q.node;
  }
  if (q.type !== undefined) {
    filter += ' AND type = @type';
    at.type = q.type;
  }
  const spans = spansNewestFirst(db, from, to);
  const inSpan = db.prepare(
    `SELECT * FROM readings WHERE rid BETWEEN @lo AND @hi AND ts >= @from AND ts < @to${filter}
     ORDER BY ts DESC, rid DESC LIMIT @limit`,
  );
  let newest: ReadingRow[] = [];
  for (const s of spans) {
    const last = newest[limit - 1];
    if (last !== undefined && last.ts > s.ts_max) break;
    const rows = inSpan.all({ ...at, lo: s.lo, hi: s.hi }) as ReadingRow[];
    newest = newest.concat(rows).sort(newerFirst).slice(0, limit);
  }
  return newest.reverse().map(rowToReading);
}

/** Readings with ts inside [since, now]: what the detection engine needs after a restart. */
export function readingsSince(db: Db, since: number): Reading[] {
  return (
    db.prepare(readingsBetween('r.*', 'ORDER BY ts, rid')).all({ from: since, to: UNBOUNDED }) as ReadingRow[]
  ).map(rowToReading);
}
