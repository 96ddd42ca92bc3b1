import type { Db } from './db.js';
import { DROP_STALE_PACKS } from './outbox-packs.js';
import { readingsBetween, spanPruner, UNBOUNDED } from './reading-spans.js';

/** Readings the centre never received that a prune removed. */
export interface UnforwardedLoss {
  count: number;
  /** ts of the oldest and newest of them (epoch ms); null when count is 0. */
  oldestTs: number | null;
  newestTs: number | null;
}

export interface PruneResult {
  /** Readings removed for being older than retention (forwarded or not). */
  expired: number;
  /** Already-forwarded readings removed to get under max_db_mb. */
  forwardedForSpace: number;
  /** Readings the centre never got, removed because the disk cap was reached. */
  unforwardedForSpace: number;
  /** Every unforwarded reading removed, for retention or for space. */
  unforwarded: UnforwardedLoss;
  /** Forwarded events older than events_retention_days removed. */
  eventsExpired: number;
  usedBytes: number;
}

export interface PruneOptions {
  now: number;
  retentionDays: number;
  /** Forwarded events older than this go; events still queued for the centre never do. */
  eventsRetentionDays: number;
  maxDbMb: number;
}

const CHUNK = 5000;
const DAY_MS = 86_400_000;

/** Bytes of the database that hold data (free pages are reused, so they do not count). */
export function usedBytes(db: Db): number {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  return (pages - free) * pageSize;
}

interface Span {
  n: number;
  lo: number | null;
  hi: number | null;
}

/**
 * Retention and the size cap (docs/behaviour.md, Storage): readings older than retention go; over the
 * cap, the oldest already-forwarded readings go first, then the oldest unforwarded ones. Every
 * unforwarded reading removed is counted with its time span (the caller reports it to the
 * centre). Forwarded events go after their own, longer retention; queued events never.
 */
export function prune(db: Db, opts: PruneOptions): PruneResult {
  const cutoff = opts.now - opts.retentionDays * DAY_MS;
  const res: PruneResult = {
    expired: 0,
    forwardedForSpace: 0,
    unforwardedForSpace: 0,
    unforwarded: { count: 0, oldestTs: null, newestTs: null },
    eventsExpired: 0,
    usedBytes: 0,
  };
  const note = (s: Span) => {
    // min() and max() are null exactly when they ran over no rows.
    if (s.n === 0 || s.lo === null || s.hi === null) return;
    const u = res.unforwarded;
    u.count += s.n;
    u.oldestTs = u.oldestTs === null ? s.lo : Math.min(u.oldestTs, s.lo);
    u.newestTs = u.newestTs === null ? s.hi : Math.max(u.newestTs, s.hi);
  };
  const spanOldQueued = db.prepare(
    `SELECT count(*) AS n, min(r.ts) AS lo, max(r.ts) AS hi
     FROM outbox_readings o JOIN readings r ON r.rid = o.rid WHERE r.ts < ?`,
  );
  const old = { from: -UNBOUNDED, to: cutoff };
  const delOutboxOld = db.prepare(`DELETE FROM outbox_readings WHERE rid IN (${readingsBetween('rid')})`);
  const delOld = db.prepare(`DELETE FROM readings WHERE rid IN (${readingsBetween('rid', 'LIMIT @limit')})`);
  const fixSpans = spanPruner(db);
  db.transaction(() => {
    note(spanOldQueued.get(cutoff) as Span);
    delOutboxOld.run(old);
  })();
  for (;;) {
    const n = db.transaction(() => {
      const changes = delOld.run({ ...old, limit: CHUNK }).changes;
      fixSpans();
      return changes;
    })();
    res.expired += n;
    if (n < CHUNK) break;
  }
  const dropStalePacks = db.prepare(DROP_STALE_PACKS);
  dropStalePacks.run();
  db.prepare('DELETE FROM nonces WHERE expires < ?').run(opts.now);
  res.eventsExpired = pruneEvents(db, opts.now - opts.eventsRetentionDays * DAY_MS);
  pruneClosedIncidents(db, opts.now - opts.eventsRetentionDays * DAY_MS);

  const cap = opts.maxDbMb * 1024 * 1024;
  const delForwarded = db.prepare(`DELETE FROM readings WHERE rid IN (
      SELECT r.rid FROM readings r WHERE NOT EXISTS (SELECT 1 FROM outbox_readings o WHERE o.rid = r.rid)
      ORDER BY r.rid LIMIT ?)`);
  const oldestQueued = db.prepare(
    'SELECT o.rid AS rid, r.ts AS ts FROM outbox_readings o LEFT JOIN readings r ON r.rid = o.rid ORDER BY o.rid LIMIT ?',
  );
  const delQueued = db.prepare('DELETE FROM outbox_readings WHERE rid = ?');
  const delReading = db.prepare('DELETE FROM readings WHERE rid = ?');
  while (usedBytes(db) > cap) {
    const n = db.transaction(() => {
      const changes = delForwarded.run(CHUNK).changes;
      fixSpans();
      return changes;
    })();
    res.forwardedForSpace += n;
    if (n > 0) continue;
    const rows = oldestQueued.all(CHUNK) as { rid: number; ts: number | null }[];
    if (rows.length === 0) break;
    db.transaction(() => {
      for (const r of rows) {
        delQueued.run(r.rid);
        delReading.run(r.rid);
      }
      fixSpans();
      dropStalePacks.run();
    })();
    const stored = rows.flatMap((r) => (r.ts === null ? [] : [r.ts]));
    res.unforwardedForSpace += stored.length;
    if (stored.length > 0) note({ n: stored.length, lo: Math.min(...stored), hi: Math.max(...stored) });
  }
  res.usedBytes = usedBytes(db);
  return res;
}

/**
 * Incidents closed before `cutoff` go with their messages and CAP records, as their events do: an
 * open incident, however old, and a message still queued for the modem never do.
 */
function pruneClosedIncidents(db: Db, cutoff: number): void {
  db.transaction(() => {
    const old = "SELECT id FROM incidents WHERE state = 'closed' AND closed < ?";
    db.prepare(`DELETE FROM alert_messages WHERE state != 'queued' AND incident IN (${old})`).run(cutoff);
    db.prepare(`DELETE FROM cap_messages WHERE incident IN (${old})`).run(cutoff);
    db.prepare(
      `DELETE FROM incidents WHERE id IN (${old}) AND NOT EXISTS (SELECT 1 FROM alert_messages m WHERE m.incident = incidents.id)`,
    ).run(cutoff);
  })();
}

/** Deletes forwarded events older than `cutoff`, in chunks; returns how many. */
function pruneEvents(db: Db, cutoff: number): number {
  const del = db.prepare(`DELETE FROM events WHERE eid IN (
      SELECT e.eid FROM events e WHERE e.ts < ?
        AND NOT EXISTS (SELECT 1 FROM outbox_events o WHERE o.eid = e.eid) LIMIT ?)`);
  let total = 0;
  for (;;) {
    const n = db.transaction(() => del.run(cutoff, CHUNK).changes)();
    total += n;
    if (n < CHUNK) return total;
  }
}
