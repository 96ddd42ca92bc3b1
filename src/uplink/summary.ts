import type { Db } from '../store/db.js';
import type { StoredReading } from '../store/readings.js';

/**
 * The daily per-village summary (behaviour.md, Daily summary / Satu Data), computed from SQLite
 * for one local day of the gateway. Indonesia has no DST; the gateway's local time is WIB
 * (UTC+7) unless `tzOffsetMin` says otherwise (WITA +480, WIT +540).
 *
 * Definitions (so the centre can compare villages):
 * - readings.received: readings stored with ts in the day; by_type: the same per type.
 * - readings.lost: sum of `lost` of the day's `seq_gap` events (the node tracker rate-limits those
 *   events and carries the count forward, so a gap at 23:59 may be counted on the next day).
 * - detections: readings that are evidence of presence: pir n>0, seis (any), beam cut=1, cam
 *   (any label), gps (any), btn p=1, fence kv < fenceMinKv. Heartbeats are not detections.
 * - elephant_detections: cam readings with label "elephant" (any confidence).
 * - minutes_at_level: the village's level (the worst zone at each moment), from `level` events;
 *   zones: the same per zone. A zone starts the day at its last level before midnight (NORMAL if none).
 * - sirens: activations that started in the day; seconds on within the day (from siren_log).
 * - nodes.online_pct: online node-time / (nodes × day), from node_offline/node_online events;
 *   a node is online at the start of the day unless its last event before was node_offline.
 * - gateway.uptime_s: the process uptime the caller passes (null when unknown).
 */
export const LEVEL_NAMES = ['NORMAL', 'WASPADA', 'SIAGA', 'AWAS'] as const;
type LevelName = (typeof LEVEL_NAMES)[number];
export const DETECTION_TYPES = ['pir', 'seis', 'beam', 'cam', 'gps', 'btn', 'fence'] as const;

export interface SummarySite {
  name: string;
  village_code: string;
  park: string;
  lat: number;
  lon: number;
}

export interface SummaryOptions {
  /** Minutes east of UTC of the gateway's local day; default 420 (WIB). */
  tzOffsetMin?: number;
  /** Process uptime at summary time, seconds. */
  uptimeS?: number;
  /** Configured zones/nodes, so idle ones still count (e.g. 0 minutes at AWAS, a node never heard). */
  zones?: readonly string[];
  nodes?: readonly string[];
  /** Fence voltage below which a fence reading is a detection; default 4.0 kV. */
  fenceMinKv?: number;
  /** For a summary of the current (unfinished) day: count only up to now. */
  now?: number;
}

export interface DailySummary {
  day: string;
  tz: string;
  from: number;
  to: number;
  gw: string;
  village_code: string;
  site: { name: string; park: string; lat: number; lon: number };
  readings: { received: number; lost: number; by_type: Record<string, number> };
  detections: Record<string, number>;
  elephant_detections: number;
  minutes_at_level: Record<LevelName, number>;
  zones: Record<string, Record<LevelName, number>>;
  sirens: { activations: number; seconds_on: number };
  nodes: { total: number; online_pct: number | null };
  gateway: { uptime_s: number | null };
}

const DAY_MS = 86_400_000;
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** [from, to) in epoch ms of a local day `YYYY-MM-DD`. */
export function dayWindow(day: string, tzOffsetMin = 420): { from: number; to: number } {
  const m = DAY_RE.exec(day);
  if (!m) throw new RangeError(`day must be YYYY-MM-DD, got "${day}"`);
  const from = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) - tzOffsetMin * 60_000;
  return { from, to: from + DAY_MS };
}

/** The local day (YYYY-MM-DD) containing `ts`. */
export function localDay(ts: number, tzOffsetMin = 420): string {
  return new Date(ts + tzOffsetMin * 60_000).toISOString().slice(0, 10);
}

/** The day before the local day containing `now` (what the 00:05 schedule summarises). */
export function previousDay(now: number, tzOffsetMin = 420): string {
  return localDay(now - DAY_MS, tzOffsetMin);
}

function tzLabel(min: number): string {
  const sign = min < 0 ? '-' : '+';
  const a = Math.abs(min);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

function emptyLevels(): Record<LevelName, number> {
  return { NORMAL: 0, WASPADA: 0, SIAGA: 0, AWAS: 0 };
}

function rank(l: string): number {
  const i = (LEVEL_NAMES as readonly string[]).indexOf(l);
  return Math.max(0, i);
}

export function buildSummary(
  db: Db,
  day: string,
  site: SummarySite,
  gatewayId: string,
  opts: SummaryOptions = {},
): DailySummary {
  const tz = opts.tzOffsetMin ?? 420;
  const { from, to: dayEnd } = dayWindow(day, tz);
  const to = opts.now !== undefined ? Math.max(from, Math.min(dayEnd, opts.now)) : dayEnd;
  const span = to - from;

  // readings
  const byType: Record<string, number> = {};
  let received = 0;
  for (const r of db
    .prepare('SELECT type, count(*) AS n FROM readings WHERE ts >= ? AND ts < ? GROUP BY type')
    .all(from, to) as { type: string; n: number }[]) {
    byType[r.type] = r.n;
    received += r.n;
  }
  const detections: Record<string, number> = Object.fromEntries(DETECTION_TYPES.map((t) => [t, 0]));
  for (const r of db
    .prepare(
      `SELECT type, count(*) AS n FROM readings WHERE ts >= ? AND ts < ? AND (
         (type = 'pir' AND json_extract(v, '$.n') > 0) OR type IN ('seis', 'cam', 'gps')
         OR (type = 'beam' AND json_extract(v, '$.cut') = 1) OR (type = 'btn' AND json_extract(v, '$.p') = 1)
         OR (type = 'fence' AND json_extract(v, '$.kv') < ?)) GROUP BY type`,
    )
    .all(from, to, opts.fenceMinKv ?? 4.0) as { type: string; n: number }[]) {
    detections[r.type] = r.n;
  }
  const elephant = (
    db
      .prepare(
        `SELECT count(*) AS n FROM readings WHERE ts >= ? AND ts < ? AND type = 'cam' AND json_extract(v, '$.label') = 'elephant'`,
      )
      .get(from, to) as { n: number }
  ).n;
  const lost = (
    db
      .prepare(
        `SELECT coalesce(sum(json_extract(fields, '$.lost')), 0) AS n FROM events WHERE kind = 'seq_gap' AND ts >= ? AND ts < ?`,
      )
      .get(from, to) as { n: number }
  ).n;

  // levels: per zone timelines, and the village's worst-zone timeline
  const zoneLevel = new Map<string, string>();
  for (const z of opts.zones ?? []) zoneLevel.set(z, 'NORMAL');
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
    let w = 0;
    for (const l of zoneLevel.values()) w = Math.max(w, rank(l));
    return LEVEL_NAMES[w]!;
  };
  const accrue = (until: number, since: number) => {
    const dt = until - since;
    if (dt <= 0) return;
    for (const [z, l] of zoneLevel) {
      const acc = zonesMs.get(z) ?? emptyLevels();
      acc[LEVEL_NAMES[rank(l)]!] += dt;
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

  // sirens
  const sirenRow = db
    .prepare(
      `SELECT
         coalesce(sum(CASE WHEN on_ts >= @from AND on_ts < @to THEN 1 ELSE 0 END), 0) AS activations,
         coalesce(sum(max(0, min(coalesce(off_ts, @to), @to) - max(on_ts, @from))), 0) AS ms
       FROM siren_log WHERE on_ts < @to AND (off_ts IS NULL OR off_ts > @from)`,
    )
    .get({ from, to }) as { activations: number; ms: number };

  // nodes
  const nodeOnline = new Map<string, boolean>();
  for (const n of opts.nodes ?? []) nodeOnline.set(n, true);
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
      if (since !== undefined) offlineMs += e.ts - since;
      offlineSince.delete(e.node);
    }
  }
  for (const since of offlineSince.values()) offlineMs += to - since;
  const total = nodeOnline.size;
  const onlinePct =
    total === 0 || span === 0 ? null : round1((100 * (total * span - offlineMs)) / (total * span));

  return {
    day,
    tz: tzLabel(tz),
    from,
    to,
    gw: gatewayId,
    village_code: site.village_code,
    site: { name: site.name, park: site.park, lat: site.lat, lon: site.lon },
    readings: { received, lost, by_type: byType },
    detections,
    elephant_detections: elephant,
    minutes_at_level: toMinutes(villageMs),
    zones,
    sirens: { activations: sirenRow.activations, seconds_on: Math.round(sirenRow.ms / 1000) },
    nodes: { total, online_pct: onlinePct },
    gateway: { uptime_s: opts.uptimeS ?? null },
  };
}

/** Keeps the summary in `meta` (key `summary:<day>`), so `siaga export` finds it later. */
export function storeSummary(db: Db, s: DailySummary): void {
  db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  ).run(`summary:${s.day}`, JSON.stringify(s));
}

/** Stored summaries with fromDay <= day <= toDay, oldest first. */
export function loadSummaries(db: Db, fromDay: string, toDay: string): DailySummary[] {
  return (
    db
      .prepare(`SELECT value FROM meta WHERE key >= ? AND key <= ? ORDER BY key`)
      .all(`summary:${fromDay}`, `summary:${toDay}`) as { value: string }[]
  ).map((r) => JSON.parse(r.value) as DailySummary);
}

// ------------------------------------------------------------------ CSV

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF or edge spaces, quotes
 * doubled. Text that a spreadsheet would run as a formula (= + - @ tab) is prefixed with `'`.
 */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  let s = typeof v === 'string' ? v : JSON.stringify(v);
  if (/^[=+\-@\t\r]/.test(s) && !/^[-+]?\d/.test(s)) s = `'${s}`;
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(fields: readonly unknown[]): string {
  return fields.map(csvField).join(',') + '\r\n';
}

export const SUMMARY_CSV_COLUMNS = [
  'day',
  'tz',
  'village_code',
  'site_name',
  'park',
  'lat',
  'lon',
  'gateway_id',
  'readings_received',
  'readings_lost',
  ...DETECTION_TYPES.map((t) => `detections_${t}`),
  'elephant_detections',
  ...LEVEL_NAMES.map((l) => `minutes_${l.toLowerCase()}`),
  'siren_activations',
  'siren_seconds_on',
  'nodes_total',
  'nodes_online_pct',
  'gateway_uptime_s',
] as const;

/** The daily summaries as CSV, one row per day, with the site metadata columns. */
export function summaryCsv(summaries: readonly DailySummary[]): string {
  let out = csvLine(SUMMARY_CSV_COLUMNS);
  for (const s of summaries) {
    out += csvLine([
      s.day,
      s.tz,
      s.village_code,
      s.site.name,
      s.site.park,
      s.site.lat,
      s.site.lon,
      s.gw,
      s.readings.received,
      s.readings.lost,
      ...DETECTION_TYPES.map((t) => s.detections[t] ?? 0),
      s.elephant_detections,
      ...LEVEL_NAMES.map((l) => s.minutes_at_level[l]),
      s.sirens.activations,
      s.sirens.seconds_on,
      s.nodes.total,
      s.nodes.online_pct,
      s.gateway.uptime_s,
    ]);
  }
  return out;
}

export const READINGS_CSV_COLUMNS = [
  'gateway_id',
  'village_code',
  'site_name',
  'park',
  'lat',
  'lon',
  'id',
  'node',
  'seq',
  'type',
  'ts',
  'time_utc',
  'via',
  'clock_ok',
  'values',
  'rssi',
  'snr',
  'freq',
  'sf',
] as const;

/**
 * Stored readings with from <= ts < to as CSV lines (header first), streamed row by row so an
 * export of a month does not load it into memory. `values` is the reading's JSON object.
 */
export function* readingsCsv(
  db: Db,
  from: number,
  to: number,
  site: SummarySite,
  gatewayId: string,
): Generator<string, void, undefined> {
  yield csvLine(READINGS_CSV_COLUMNS);
  const meta = [gatewayId, site.village_code, site.name, site.park, site.lat, site.lon];
  const rows = db
    .prepare(
      'SELECT id, node, seq, type, ts, via, v, radio, clock_ok FROM readings WHERE ts >= ? AND ts < ? ORDER BY ts, rid',
    )
    .iterate(from, to) as IterableIterator<StoredReading>;
  for (const r of rows) {
    let radio: { rssi?: number; snr?: number; freq?: number; sf?: number } = {};
    if (r.radio !== null) {
      try {
        radio = JSON.parse(r.radio) as typeof radio;
      } catch {
        radio = {};
      }
    }
    yield csvLine([
      ...meta,
      r.id,
      r.node,
      r.seq,
      r.type,
      r.ts,
      new Date(r.ts).toISOString(),
      r.via,
      r.clock_ok === 1,
      r.v,
      radio.rssi,
      radio.snr,
      radio.freq,
      radio.sf,
    ]);
  }
}
