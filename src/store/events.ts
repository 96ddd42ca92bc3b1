import type { EventKind, GatewayEvent } from '../domain/index.js';
import type { Db } from './db.js';

interface EventRow {
  id: string;
  ts: number;
  kind: string;
  fields: string;
}

const toEvent = (r: EventRow): GatewayEvent => ({
  id: r.id,
  ts: r.ts,
  kind: r.kind as EventKind,
  fields: JSON.parse(r.fields) as GatewayEvent['fields'],
});

export interface EventQuery {
  since: number;
  kinds?: readonly EventKind[];
  limit: number;
}

/** Stored events from `since`, newest last (the newest `limit` of them). */
export function queryEvents(db: Db, q: EventQuery): GatewayEvent[] {
  const kinds = q.kinds ?? [];
  const byKind = kinds.length ? `AND kind IN (${kinds.map(() => '?').join(', ')})` : '';
  const rows = db
    .prepare(
      `SELECT * FROM (SELECT eid, id, ts, kind, fields FROM events WHERE ts >= ? ${byKind}
        ORDER BY ts DESC, eid DESC LIMIT ?) ORDER BY ts, eid`,
    )
    .all(q.since, ...kinds, q.limit) as EventRow[];
  return rows.map(toEvent);
}

/**
 * Each zone's latest `level` event in [since, before): why a zone is at its level now. Bounded by
 * `since` so a year of events is not scanned on every page load.
 */
export function lastLevelEvents(db: Db, since: number, before: number): GatewayEvent[] {
  const rows = db
    .prepare(
      `SELECT e.id, e.ts, e.kind, e.fields FROM events e
        JOIN (SELECT json_extract(fields, '$.zone') AS zone, max(eid) AS eid FROM events
              WHERE ts >= ? AND ts < ? AND kind = 'level' GROUP BY zone) last ON last.eid = e.eid`,
    )
    .all(since, before) as EventRow[];
  return rows.map(toEvent);
}
