import type { Db } from './db.js';

/**
 * Readings by time without an index on readings(ts) (schema migration 7 says why): a span is a
 * run of consecutive rowids with the earliest and latest ts among its readings, so the readings
 * with a ts in [from, to) are in the spans whose times overlap that interval, or after the last
 * span (the readings not yet in one). A late reading (a node that buffered, a clock put right)
 * widens its span; the answer stays exact, only that span is read for more intervals.
 * docs/behaviour.md, Storage.
 */

/** Readings per span: what a commit's new span reads, and at most what a query reads beyond the spans. */
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

/**
 * Inside the commit's transaction, after its readings were inserted: once `every` readings follow
 * the last span, they become one. Read from the table each time, not kept in memory, so a commit
 * that rolls back leaves nothing to undo.
 */
export function spanWriter(db: Db, every = SPAN_READINGS): (newestRid: number) => void {
  const lastHi = db.prepare(`SELECT coalesce(${LAST_HI}, 0)`).pluck();
  const add = db.prepare(
    `INSERT INTO reading_spans (lo, hi, ts_min, ts_max)
     SELECT min(rid), max(rid), min(ts), max(ts) FROM readings WHERE rid > ? HAVING count(*) > 0`,
  );
  return (newestRid) => {
    const hi = lastHi.get() as number;
    if (newestRid - hi >= every) add.run(hi);
  };
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
