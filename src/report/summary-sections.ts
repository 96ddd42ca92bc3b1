import type { Db } from '../store/db.js';
import { readingsBetween } from '../store/reading-spans.js';
import { coveredMs, type RunSpan } from '../store/run-log.js';

/**
 * The SQL aggregation behind each section of the daily summary, over [from, to) in epoch ms.
 * The definitions are in `summary.ts`.
 */
export const LEVEL_NAMES = ['NORMAL', 'WASPADA', 'SIAGA', 'AWAS'] as const;
export type LevelName = (typeof LEVEL_NAMES)[number];
export const DETECTION_TYPES = ['pir', 'seis', 'beam', 'cam', 'gps', 'btn', 'fence'] as const;

const round1 = (x: number) => Math.round(x * 10) / 10;

function emptyLevels(): Record<LevelName, number> {
  return { NORMAL: 0, WASPADA: 0, SIAGA: 0, AWAS: 0 };
}

/** A level as stored in an event; one this version does not know counts as NORMAL. */
function levelName(l: string): LevelName {
  return LEVEL_NAMES.find((n) => n === l) ?? 'NORMAL';
}

function rank(l: string): number {
  return LEVEL_NAMES.indexOf(levelName(l));
}

/** `count(*) AS n`-style single number of a query over (from, to). */
function single(db: Db, sql: string, from: number, to: number): number {
  return (db.prepare(sql).get(from, to) as { n: number }).n;
}

export interface ReadingCounts {
  received: number;
  lost: number;
  byType: Record<string, number>;
  detections: Record<string, number>;
  elephant: number;
}

/** Readings received (all and per type), lost per `seq_gap` events, detections, elephants. */
export function readingCounts(db: Db, from: number, to: number, fenceMinKv: number): ReadingCounts {
  const byType: Record<string, number> = {};
  let received = 0;
  for (const r of db.prepare(readingsBetween('type, count(*) AS n', 'GROUP BY type')).all({ from, to }) as {
    type: string;
    n: number;
  }[]) {
    byType[r.type] = r.n;
    received += r.n;
  }
  const detections: Record<string, number> = Object.fromEntries(DETECTION_TYPES.map((t) => [t, 0]));
  for (const r of db
    .prepare(
      readingsBetween(
        'type, count(*) AS n',
        `AND ((type = 'pir' AND json_extract(v, '$.n') > 0) OR type IN ('seis', 'cam', 'gps')
         OR (type = 'beam' AND json_extract(v, '$.cut') = 1) OR (type = 'btn' AND json_extract(v, '$.p') = 1)
         OR (type = 'fence' AND json_extract(v, '$.kv') < @kv)) GROUP BY type`,
      ),
    )
    .all({ from, to, kv: fenceMinKv }) as { type: string; n: number }[]) {
    detections[r.type] = r.n;
  }
  const elephant = (
    db
      .prepare(
        readingsBetween('count(*) AS n', `AND type = 'cam' AND json_extract(v, '$.label') = 'elephant'`),
      )
      .get({ from, to }) as { n: number }
  ).n;
  const lost = single(
    db,
    `SELECT coalesce(sum(json_extract(fields, '$.lost')), 0) AS n FROM events WHERE kind = 'seq_gap' AND ts >= ? AND ts < ?`,
    from,
    to,
  );
  return { received, lost, byType, detections, elephant };
}

/**
 * Minutes at each level per zone and for the village (the worst zone at each moment), from
 * `level` events, counted only while the gateway was running (`running`). A zone starts at its
 * last level before `from` (NORMAL if none).
 */
export function levelMinutes(
  db: Db,
  from: number,
  to: number,
  configuredZones: readonly string[],
  running: readonly RunSpan[],
): { village: Record<LevelName, number>; zones: Record<string, Record<LevelName, number>> } {
  const zoneLevel = new Map<string, string>();
  for (const z of configuredZones) zoneLevel.set(z, 'NORMAL');
  for (const r of db
    .prepare(
      `SELECT json_extract(fields, '$.zone') AS zone, json_extract(fields, '$.level') AS level, max(ts) AS ts
       FROM events WHERE kind = 'level' AND ts < ? GROUP BY zone`,
    )
    .all(from) as { zone: string | null; level: string | null }[]) {
    if (r.zone !== null && r.level !== null) zoneLevel.set(r.zone, r.level);
  }
  const levelEvents = db
    .prepare(
      `SELECT ts, json_extract(fields, '$.zone') AS zone, json_extract(fields, '$.level') AS level
       FROM events WHERE kind = 'level' AND ts >= ? AND ts < ? ORDER BY ts, eid`,
    )
    .all(from, to) as { ts: number; zone: string | null; level: string | null }[];
  const zonesMs = new Map<string, Record<LevelName, number>>();
  const villageMs = emptyLevels();
  const worst = (): LevelName => {
    let w: LevelName = 'NORMAL';
    for (const l of zoneLevel.values()) if (rank(l) > rank(w)) w = levelName(l);
    return w;
  };
  const accrue = (until: number, since: number) => {
    const dt = coveredMs(running, since, until);
    if (dt <= 0) return;
    for (const [z, l] of zoneLevel) {
      const acc = zonesMs.get(z) ?? emptyLevels();
      acc[levelName(l)] += dt;
      zonesMs.set(z, acc);
    }
    villageMs[worst()] += dt;
  };
  let t = from;
  for (const e of levelEvents) {
    if (e.zone === null || e.level === null) continue;
    accrue(e.ts, t);
    t = Math.max(t, e.ts);
    zoneLevel.set(e.zone, e.level);
  }
  accrue(to, t);
  const toMinutes = (r: Record<LevelName, number>) =>
    Object.fromEntries(LEVEL_NAMES.map((l) => [l, round1(r[l] / 60_000)])) as Record<LevelName, number>;
  const zones: Record<string, Record<LevelName, number>> = {};
  for (const z of [...zoneLevel.keys()].sort()) zones[z] = toMinutes(zonesMs.get(z) ?? emptyLevels());
  return { village: toMinutes(villageMs), zones };
}

/** Siren activations that started in [from, to) and milliseconds on within it (from siren_log). */
export function sirenUsage(db: Db, from: number, to: number): { activations: number; ms: number } {
  return db
    .prepare(
      `SELECT
         coalesce(sum(CASE WHEN on_ts >= @from AND on_ts < @to THEN 1 ELSE 0 END), 0) AS activations,
         coalesce(sum(max(0, min(coalesce(off_ts, @to), @to) - max(on_ts, @from))), 0) AS ms
       FROM siren_log WHERE on_ts < @to AND (off_ts IS NULL OR off_ts > @from)`,
    )
    .get({ from, to }) as { activations: number; ms: number };
}

/**
 * Nodes known (configured, in node_state, or in events) and their online share of the time the
 * gateway was running in [from, to) (`running`), from node_offline/node_online events; a node is
 * online at `from` unless its last event before was node_offline. `onlinePct` is null with no
 * nodes or no running time: a gateway that was off cannot say its nodes were online.
 */
export function nodeUptime(
  db: Db,
  from: number,
  to: number,
  configuredNodes: readonly string[],
  running: readonly RunSpan[],
): { total: number; onlinePct: number | null } {
  const span = coveredMs(running, from, to);
  const nodeOnline = new Map<string, boolean>();
  for (const n of configuredNodes) nodeOnline.set(n, true);
  for (const r of db.prepare('SELECT node FROM node_state').all() as { node: string }[]) {
    if (!nodeOnline.has(r.node)) nodeOnline.set(r.node, true);
  }
  for (const r of db
    .prepare(
      `SELECT json_extract(fields, '$.node') AS node, kind, max(ts) AS ts FROM events
       WHERE kind IN ('node_offline', 'node_online') AND ts < ? GROUP BY node`,
    )
    .all(from) as { node: string | null; kind: string }[]) {
    if (r.node !== null) nodeOnline.set(r.node, r.kind === 'node_online');
  }
  const nodeEvents = db
    .prepare(
      `SELECT ts, kind, json_extract(fields, '$.node') AS node FROM events
       WHERE kind IN ('node_offline', 'node_online') AND ts >= ? AND ts < ? ORDER BY ts, eid`,
    )
    .all(from, to) as { ts: number; kind: string; node: string | null }[];
  for (const e of nodeEvents)
    if (e.node !== null && !nodeOnline.has(e.node)) nodeOnline.set(e.node, e.kind !== 'node_online');
  const offlineSince = new Map<string, number>();
  for (const [n, on] of nodeOnline) if (!on) offlineSince.set(n, from);
  let offlineMs = 0;
  for (const e of nodeEvents) {
    if (e.node === null) continue;
    if (e.kind === 'node_offline') {
      if (!offlineSince.has(e.node)) offlineSince.set(e.node, e.ts);
    } else {
      const since = offlineSince.get(e.node);
      if (since !== undefined) offlineMs += coveredMs(running, since, e.ts);
      offlineSince.delete(e.node);
    }
  }
  for (const since of offlineSince.values()) offlineMs += coveredMs(running, since, to);
  const total = nodeOnline.size;
  const onlinePct =
    total === 0 || span === 0 ? null : round1((100 * (total * span - offlineMs)) / (total * span));
  return { total, onlinePct };
}
