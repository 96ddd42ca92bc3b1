import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import { OutboxPacks, type ReadingsPack } from './outbox-packs.js';
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

export type { ReadingsPack } from './outbox-packs.js';

export interface Backlog {
  events: number;
  readings: number;
  /** Of the readings, how many wait packed (store/outbox-packs.ts); absent while none do. */
  packed?: number;
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
  private readonly qPageBounds: Statement<[number, number]>;
  private readonly qReadingsJsonRange: Statement<[number, number]>;
  private readonly qReadingsPageRange: Statement<[number, number]>;
  private readonly qReadingsPageNext: Statement<[number, number, number, number]>;
  private readonly qAck: Record<OutboxKind, Statement<[string]>>;
  private readonly qAckRange: Record<OutboxKind, Statement<[number, number]>>;
  private readonly qBacklog: Statement<[]>;
  private readonly qRequeue: Statement<[number, number, number, number]>;
  private readonly qRidBounds: Statement<[]>;
  private readonly qOldestQueued: Statement<[]>;
  /** The backlog packed while the centre is unreachable (outbox-packs.ts). */
  readonly packs: OutboxPacks;
  /** PUBACKed rows whose deletion waits to go with others (`ack` with `later`). */
  private readonly waiting: Record<OutboxKind, { oids: number[]; max: number }> = {
    events: { oids: [], max: 0 },
    readings: { oids: [], max: 0 },
  };

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
    // The bounds come back as one row: 200 rowids as 200 JS values cost more than the check.
    this.qPageBounds = db
      .prepare(
        'SELECT min(rid), max(rid), count(*) FROM (SELECT rid FROM outbox_readings WHERE rid > ? ORDER BY rid LIMIT ?)',
      )
      .raw(true) as Statement<[number, number]>;
    this.qReadingsJsonRange = db
      .prepare(`SELECT r.rid, ${READING_JSON} FROM readings r WHERE r.rid BETWEEN ? AND ? ORDER BY r.rid`)
      .raw(true) as Statement<[number, number]>;
    // The range's readings as ONE string (split in JS at a separator JSON text never holds raw):
    // one result row and one JS string per page instead of 200 rows of two values each, which
    // was most of the drain's time (P4). The rowids come along from the same aggregate step, so
    // each piece is paired with its own rowid whatever order the scan yields.
    this.qReadingsPageRange = db
      .prepare(
        `SELECT count(*), group_concat(r.rid), group_concat(${READING_JSON}, char(${PIECE_SEP.charCodeAt(0)}))
         FROM readings r WHERE r.rid BETWEEN ? AND ?`,
      )
      .raw(true) as Statement<[number, number]>;
    // The page after a drained one is nearly always the next `limit` rowids, all queued: then one
    // statement counts them in the queue and reads them, instead of one for the bounds and one
    // for the readings (the bounds query was an eighth of a drain).
    this.qReadingsPageNext = db
      .prepare(
        `SELECT (SELECT count(*) FROM outbox_readings WHERE rid BETWEEN ? AND ?), count(*), group_concat(r.rid),
                group_concat(${READING_JSON}, char(${PIECE_SEP.charCodeAt(0)}))
         FROM readings r WHERE r.rid BETWEEN ? AND ?`,
      )
      .raw(true) as Statement<[number, number, number, number]>;
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
    this.qOldestQueued = db.prepare('SELECT min(rid) FROM outbox_readings').pluck() as Statement<[]>;
    this.packs = new OutboxPacks({ db, pageText: (lo, n) => this.pageText(lo, n) });
  }

  /** Up to `limit` queued events after `afterOid`, oldest first. */
  nextEvents(limit: number, afterOid = 0): OutboxEventRow[] {
    this.settle('events', afterOid);
    return this.clean('events', this.qEvents.all(afterOid, limit) as (OutboxEventRow | Orphan)[]);
  }

  /** Up to `limit` queued readings after `afterOid`, oldest first. */
  nextReadings(limit: number, afterOid = 0): OutboxReadingRow[] {
    this.settle('readings', afterOid);
    return this.clean('readings', this.qReadings.all(afterOid, limit) as (OutboxReadingRow | Orphan)[]);
  }

  /**
   * Up to `limit` queued readings after `afterOid`, oldest first, as their wire JSON: what the
   * drain sends when no pack starts there (`nextReadingsPack`). A pruned reading's row is deleted
   * when met, as in `nextReadings`. The page ends before the next pack, so the drain meets that
   * pack at its start and can send it whole.
   */
  nextReadingsJson(limit: number, afterOid = 0): OutboxReadingJson[] {
    this.settle('readings', afterOid);
    const page = this.unpackedJson(limit, afterOid);
    const first = page[0];
    const packAt = first === undefined ? undefined : this.packs.nextStartAfter(first[0]);
    if (packAt === undefined || (page.at(-1)?.[0] ?? 0) < packAt) return page;
    return page.slice(
      0,
      page.findIndex((r) => r[0] >= packAt),
    );
  }

  /**
   * The queued readings after `afterOid` as one pack taken whole, when a usable pack starts at the
   * oldest of them and holds at most `limit` readings in at most `maxBytes`: the batch's array
   * body as bytes. Undefined otherwise (`nextReadingsJson` then reads them).
   */
  nextReadingsPack(limit: number, afterOid: number, maxBytes: number): ReadingsPack | undefined {
    if (!this.packs.any) return undefined;
    this.settle('readings', afterOid);
    const start = afterOid > 0 ? afterOid + 1 : (this.qOldestQueued.get() as number | null);
    return start === null ? undefined : this.packs.whole(start, limit, maxBytes);
  }

  /** Up to `limit` queued readings after `afterOid`, each formatted by SQLite. */
  private unpackedJson(limit: number, afterOid: number): OutboxReadingJson[] {
    if (afterOid > 0) {
      // All of the next `limit` rowids queued: they are the oldest queued after the cursor.
      const [lo, hi] = [afterOid + 1, afterOid + limit];
      const [queued, ...row] = this.qReadingsPageNext.get(lo, hi, lo, hi) as [number, ...PageRow];
      const page = queued === limit ? splitPage(row, lo, limit) : undefined;
      if (page) return page;
    }
    const [lo, hi, count] = this.qPageBounds.get(afterOid, limit) as [number | null, number | null, number];
    if (lo === null || hi === null) return [];
    if (hi - lo + 1 === count) {
      // Every rowid in [lo, hi] is queued: the range's readings are the page.
      const page = splitPage(this.qReadingsPageRange.get(lo, hi) as PageRow, lo, count);
      if (page) return page;
      // A reading pruned meanwhile (or stored text holding the separator): row by row.
      const rows = this.qReadingsJsonRange.all(lo, hi) as OutboxReadingJson[];
      if (rows.length < count) {
        const found = new Set(rows.map((r) => r[0]));
        const orphans: number[] = [];
        for (let rid = lo; rid <= hi; rid++) if (!found.has(rid)) orphans.push(rid);
        this.ack('readings', orphans);
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
   *
   * `later`: the caller still has rows after these in flight, so the deletion may wait and go
   * with others' in one statement (a drain PUBACKed 2,500 batches with 2,500 commits, a fifth of
   * its time, P4). Waiting rows are deleted at the latest when `ACK_LATER_ROWS` have gathered,
   * before any read that could see them again (a page from below them, `backlog`, a requeue)
   * and by `settleAll` or any `ack` without `later` (`ack(kind, [])` deletes what waits). What a
   * crash loses of them is sent again with the same ids, which the centre drops as duplicates:
   * the same as a PUBACK lost on the way.
   */
  ack(kind: OutboxKind, oids: readonly number[], opts: { later?: boolean } = {}): void {
    const waiting = this.waiting[kind];
    for (const oid of oids) {
      waiting.oids.push(oid);
      if (oid > waiting.max) waiting.max = oid;
    }
    if (opts.later === true && waiting.oids.length < ACK_LATER_ROWS) return;
    this.settleAll(kind);
  }

  /** Deletes every PUBACKed row still waiting (of one kind, or both). */
  settleAll(kind?: OutboxKind): void {
    for (const k of kind === undefined ? OUTBOX_KINDS : [kind]) {
      const waiting = this.waiting[k];
      if (waiting.oids.length === 0) continue;
      const oids = waiting.oids;
      waiting.oids = [];
      waiting.max = 0;
      // On failure the rows stay queued and go again with the same ids (as when a PUBACK is lost).
      this.deleteNow(k, oids);
    }
  }

  /** Before a read from `afterOid`: rows waiting for deletion that the read could see are deleted. */
  private settle(kind: OutboxKind, afterOid: number): void {
    if (this.waiting[kind].max > afterOid) this.settleAll(kind);
  }

  private deleteNow(kind: OutboxKind, oids: readonly number[]): void {
    const run = contiguousRun(oids) ?? contiguousRun([...oids].sort((a, b) => a - b));
    if (run) this.qAckRange[kind].run(run[0], run[1]);
    else this.qAck[kind].run(JSON.stringify(oids));
    if (kind !== 'readings' || !this.packs.any) return;
    if (run) this.packs.dropAcked(run[0], run[1], this.qOldestQueued.get() as number | null);
    else this.packs.dropStale();
  }

  /**
   * The `n` readings from rowid `lo` joined by ',' (a batch's array body) when all are queued and
   * stored: the page query's string, checked reading by reading against the rowids as the drain
   * checks a page, then its separators made commas.
   */
  private pageText(lo: number, n: number): string | undefined {
    const hi = lo + n - 1;
    const [queued, ...row] = this.qReadingsPageNext.get(lo, hi, lo, hi) as [number, ...PageRow];
    if (queued !== n || splitPage(row, lo, n) === undefined) return undefined;
    return row[2]?.replaceAll(PIECE_SEP, ',');
  }

  backlog(): Backlog {
    // Rows PUBACKed are not owed any more: deleted first, so they are not counted.
    this.settleAll();
    const backlog = this.qBacklog.get() as Backlog;
    const packed = this.packs.readings();
    if (packed > 0) backlog.packed = packed;
    return backlog;
  }

  /**
   * `readings.resend`: queues again every stored reading with `from <= ts <= to` (epoch ms) that
   * is not queued already. Ids stay the same, so the centre de-duplicates. One step per
   * `chunkRows` rowids, yielding the rows it queued: the caller lets the event loop run between
   * steps (690k rows in one statement blocked it for 0.5 s, 2 s on a Pi, near the watchdog).
   */
  *requeueChunks(from: number, to: number, chunkRows = 5000): Generator<number, void, void> {
    // A PUBACKed row still present would be skipped by INSERT OR IGNORE and then deleted.
    this.settleAll('readings');
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

/**
 * A reading row `r` as its JSON inside a batch (docs/wire.md §3): NULL when the row is gone. One
 * format() builds the string in one buffer; a chain of `||` copied it once per piece.
 */
const READING_JSON = `iif(r.rid IS NULL, NULL, format('{"id":%s,"node":%s,"seq":%d,"type":%s,"ts":%d,"via":%s,"v":%s%s%s%s}',
  json_quote(r.id), json_quote(r.node), r.seq, json_quote(r.type), r.ts, json_quote(r.via), r.v,
  iif(r.radio IS NULL, '', ',"radio":'), coalesce(r.radio, ''), iif(r.clock_ok = 0, ',"clock_ok":false', '')))`;

const OUTBOX_KINDS: readonly OutboxKind[] = ['events', 'readings'];

/**
 * The most PUBACKed rows whose deletion may wait (`ack` with `later`): 20 batches of 200, so a
 * drain deletes in 1/20 of the statements, and a crash sends at most this many again.
 */
export const ACK_LATER_ROWS = 4000;

/** Between the readings of a page string: a control character, which JSON text only holds escaped. */
const PIECE_SEP = '\x1e';

/** `qReadingsPageRange`'s row: how many readings, their rowids joined by ',', their JSON joined by PIECE_SEP. */
type PageRow = [count: number, rids: string | null, json: string | null];

/**
 * The page string cut into `[rid, json]`, or undefined unless it is exactly the `count` readings
 * of `lo, lo + 1, …` in that order (a reading missing, a stray separator, another scan order):
 * the caller then reads the page row by row, which never guesses.
 */
function splitPage([found, rids, json]: PageRow, lo: number, count: number): OutboxReadingJson[] | undefined {
  if (found !== count || rids === null || json === null) return undefined;
  const pieces = json.split(PIECE_SEP);
  if (pieces.length !== count) return undefined;
  const out = new Array<OutboxReadingJson>(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    // The rowids string is "lo,lo+1,…": parsed in place, no array of substrings.
    const comma = rids.indexOf(',', at);
    const end = comma === -1 ? rids.length : comma;
    if (Number(rids.slice(at, end)) !== lo + i) return undefined;
    at = end + 1;
    out[i] = [lo + i, pieces[i] as string];
  }
  return at === rids.length + 1 ? out : undefined;
}

interface Orphan {
  oid: number;
  id: null;
}
