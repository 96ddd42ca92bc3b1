import type { Db } from './db.js';

export interface PruneResult {
  expired: number;
  /** Already-forwarded readings removed to get under max_db_mb. */
  forwardedForSpace: number;
  /** Readings the centre never got, removed because the disk cap was reached. */
  unforwardedForSpace: number;
  usedBytes: number;
}

const CHUNK = 5000;

/** Bytes of the database that hold data (free pages are reused, so they do not count). */
export function usedBytes(db: Db): number {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  return (pages - free) * pageSize;
}

/**
 * Retention and the size cap (behaviour.md, Storage): readings older than retention go; over the
 * cap, the oldest already-forwarded readings go first, then the oldest unforwarded ones. Events
 * are never pruned here: they are the last thing ever dropped.
 */
export function prune(db: Db, opts: { now: number; retentionDays: number; maxDbMb: number }): PruneResult {
  const cutoff = opts.now - opts.retentionDays * 86_400_000;
  const res: PruneResult = { expired: 0, forwardedForSpace: 0, unforwardedForSpace: 0, usedBytes: 0 };
  const delOutboxOld = db.prepare(
    'DELETE FROM outbox_readings WHERE rid IN (SELECT rid FROM readings WHERE ts < ?)',
  );
  const delOld = db.prepare(
    'DELETE FROM readings WHERE rid IN (SELECT rid FROM readings WHERE ts < ? LIMIT ?)',
  );
  db.transaction(() => {
    delOutboxOld.run(cutoff);
  })();
  for (;;) {
    const n = db.transaction(() => delOld.run(cutoff, CHUNK).changes)();
    res.expired += n;
    if (n < CHUNK) break;
  }
  db.prepare('DELETE FROM nonces WHERE expires < ?').run(opts.now);

  const cap = opts.maxDbMb * 1024 * 1024;
  const delForwarded = db.prepare(`DELETE FROM readings WHERE rid IN (
      SELECT r.rid FROM readings r WHERE NOT EXISTS (SELECT 1 FROM outbox_readings o WHERE o.rid = r.rid)
      ORDER BY r.rid LIMIT ?)`);
  const oldestQueued = db.prepare('SELECT rid FROM outbox_readings ORDER BY rid LIMIT ?');
  const delQueued = db.prepare('DELETE FROM outbox_readings WHERE rid = ?');
  const delReading = db.prepare('DELETE FROM readings WHERE rid = ?');
  while (usedBytes(db) > cap) {
    const n = db.transaction(() => delForwarded.run(CHUNK).changes)();
    res.forwardedForSpace += n;
    if (n > 0) continue;
    const rows = oldestQueued.all(CHUNK) as { rid: number }[];
    if (rows.length === 0) break;
    db.transaction(() => {
      for (const r of rows) {
        delQueued.run(r.rid);
        delReading.run(r.rid);
      }
    })();
    res.unforwardedForSpace += rows.length;
  }
  res.usedBytes = usedBytes(db);
  return res;
}
