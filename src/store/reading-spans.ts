import type { Reading } from '../domain/index.js';
import type { Db } from './db.js';

/**
 * Readings by time without an index on readings(ts) (schema migration 7 says why): a span is a
 * run of consecutive rowids with the earliest and latest ts among its readings, so the readings
 * with a ts in [from, to) are in the spans whose times overlap that interval, or after the last
 * span (the readings not yet in one). A late reading (a node that buffered, a clock put right)
 * widens its span; the answer stays exact, only that span is read for more intervals.
 * docs/behaviour.md, Storage.
 */

/** Readings per span: at most what a query reads beyond the spans. */
export const SPAN_READINGS = 2_000;

/** The bound for an open interval or rowid range (ts are ms, rowids count readings: both < 2^53). */
export const UNBOUNDED = Number.MAX_SAFE_INTEGER;

const LAST_HI = '(SELECT hi FROM reading_spans ORDER BY lo DESC LIMIT 1)';

/**
 * A statement over the readings `r` with @from <= ts < @to: `select` is its column list, `more`
 * what follows the WHERE (`AND …`, GROUP BY, ORDER BY). The spans are the outer loop, each a
 * rowid range search of readings.
 */
export function readingsBetween(select: string, more = ''): string {
  return `WITH span(lo, hi) AS (
      SELECT lo, hi FROM reading_spans WHERE ts_max >= @from AND ts_min < @to
      UNION ALL SELECT coalesce(${LAST_HI}, 0) + 1, ${UNBOUNDED})
    SELECT ${select} FROM span CROSS JOIN readings r ON r.rid BETWEEN span.lo AND span.hi
    WHERE r.ts >= @from AND r.ts < @to ${more}`;
}

/** A rowid range that may hold readings with @from <= ts < @to, and the latest ts it can hold. */
export interface SpanRange {
  lo: number;
  hi: number;
  ts_max: number;
}

/**
 * The ranges `readingsBetween` reads, for a caller that reads them one by one: the readings after
 * the last span first (any ts), then the overlapping spans, latest-ending first.
 */
export function spansNewestFirst(db: Db, from: number, to: number): SpanRange[] {
  return db
    .prepare(
      `SELECT coalesce(${LAST_HI}, 0) + 1 AS lo, ${UNBOUNDED} AS hi, ${UNBOUNDED} AS ts_max
       UNION ALL SELECT * FROM (SELECT lo, hi, ts_max FROM reading_spans
         WHERE ts_max >= @from AND ts_min < @to ORDER BY ts_max DESC)`,
    )
    .all({ from, to }) as SpanRange[];
}

/** The readings after the last span: their first rowid and their earliest and latest ts. */
interface Tail {
  lo: number;
  tsMin: number;
  tsMax: number;
}

/**
 * Writes a span inside the commit that completes it: once `every` readings follow the last span,
 * they become one. The tail's times are kept in memory from the commits (read from the table once,
 * at start), so a span costs one INSERT, not a read of its 2,000 readings (~3 % of P1's time per
 * reading). What a commit changed is kept apart until `committed`, so one that rolls back leaves
 * nothing to undo. A prune between commits (spanPruner) can only make the memory cover rowids
 * whose readings are gone: a span wider than its readings, never one that misses a reading.
 */
export class SpanWriter {
  private hi: number;
  private tail: Tail | undefined;
  private staged: { hi: number; tail: Tail | undefined } | undefined;
  private readonly add;

  constructor(
    db: Db,
    private readonly every = SPAN_READINGS,
  ) {
    this.hi = db.prepare(`SELECT coalesce(${LAST_HI}, 0)`).pluck().get() as number;
    const t = db
      .prepare('SELECT min(rid) AS lo, min(ts) AS tsMin, max(ts) AS tsMax FROM readings WHERE rid > ?')
      .get(this.hi) as { lo: number | null; tsMin: number; tsMax: number };
    this.tail = t.lo === null ? undefined : { lo: t.lo, tsMin: t.tsMin, tsMax: t.tsMax };
    this.add = db.prepare('INSERT INTO reading_spans (lo, hi, ts_min, ts_max) VALUES (?, ?, ?, ?)');
  }

  /** Inside the commit's transaction, after its readings (rowids `firstRid` on) were inserted. */
  write(readings: readonly Pick<Reading, 'ts'>[], firstRid: number): void {
    if (readings.length === 0) return;
    const tail = this.tail ? { ...this.tail } : { lo: firstRid, tsMin: Infinity, tsMax: -Infinity };
    for (const r of readings) {
      if (r.ts < tail.tsMin) tail.tsMin = r.ts;
      if (r.ts > tail.tsMax) tail.tsMax = r.ts;
    }
    const newest = firstRid + readings.length - 1;
    if (newest - this.hi < this.every) {
      this.staged = { hi: this.hi, tail };
      return;
    }
    this.add.run(tail.lo, newest, tail.tsMin, tail.tsMax);
    this.staged = { hi: newest, tail: undefined };
  }

  /** The commit that ran `write` is durable. */
  committed(): void {
    if (!this.staged) return;
    this.hi = this.staged.hi;
    this.tail = this.staged.tail;
    this.staged = undefined;
  }

  /** The commit that ran `write` failed: it is tried again with the same readings. */
  rolledBack(): void {
    this.staged = undefined;
  }
}

/**
 * In the transaction that deleted readings: the spans wholly before the oldest reading or after
 * the newest go, and the last one ends at the newest reading. SQLite hands out the rowid after the
 * greatest one in the table, so once the newest readings are gone it hands out theirs again: those
 * readings must fall after the last span, not inside a span whose times do not include them.
 */
export function spanPruner(db: Db): () => void {
  const below = db.prepare(
    `DELETE FROM reading_spans WHERE hi < coalesce((SELECT min(rid) FROM readings), ${UNBOUNDED})`,
  );
  const above = db.prepare('DELETE FROM reading_spans WHERE lo > (SELECT max(rid) FROM readings)');
  const shorten = db.prepare(
    'UPDATE reading_spans SET hi = (SELECT max(rid) FROM readings) WHERE hi > (SELECT max(rid) FROM readings)',
  );
  return () => {
    below.run();
    above.run();
    shorten.run();
  };
}
