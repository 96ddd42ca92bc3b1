import type { Db } from '../store/db.js';
import { type RunSpan, runSpans } from '../store/run-log.js';
import type { SiteInfo } from '../uplink/payloads.js';
import { DEFAULT_TZ } from '../util/local-time.js';
import { dayOffsetLabel, dayWindow } from './local-day.js';
import { type LevelName, levelMinutes, nodeUptime, readingCounts, sirenUsage } from './summary-sections.js';

/** The site the summary speaks for: the fields the retained status carries, and its time zone. */
export type SummarySite = SiteInfo & { tz?: string };

export interface SummaryOptions {
  /** IANA zone of the site's local day (`gateway.site.tz`); default Asia/Jakarta (WIB). */
  tz?: string;
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
  /** Seconds of the day the gateway was running, and when (epoch ms spans). */
  gateway: { uptime_s: number; running: RunSpan[] };
}

/**
 * The daily per-village summary (docs/behaviour.md, Daily summary / Satu Data), computed from SQLite
 * for one local day of the site (`gateway.site.tz`, WIB unless configured otherwise).
 *
 * It speaks only for the time the gateway was running (the run log, `store/run-log.ts`): a day
 * it never saw has `uptime_s` 0, no minutes at any level and no online %, never "all quiet".
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
 *   Only running time counts, so the minutes add up to uptime_s / 60, not to 1,440.
 * - sirens: activations that started in the day; seconds on within the day (from siren_log).
 * - nodes.online_pct: online node-time / (nodes × running time), from node_offline/node_online
 *   events; a node is online at the start of the day unless its last event before was
 *   node_offline. Null when the gateway did not run that day.
 * - gateway.uptime_s / running: the part of the day covered by a run of the gateway: from its
 *   start to its last heartbeat (or clean stop). A crash loses at most one heartbeat interval.
 */
export function buildSummary(
  db: Db,
  day: string,
  site: SummarySite,
  gatewayId: string,
  opts: SummaryOptions = {},
): DailySummary {
  const tz = opts.tz ?? site.tz ?? DEFAULT_TZ;
  const { from, to: dayEnd } = dayWindow(day, tz);
  const to = opts.now !== undefined ? Math.max(from, Math.min(dayEnd, opts.now)) : dayEnd;
  const running = runSpans(db, from, to);
  const uptimeMs = running.reduce((n, s) => n + (s.to - s.from), 0);
  const r = readingCounts(db, from, to, opts.fenceMinKv ?? 4.0);
  const levels = levelMinutes(db, from, to, opts.zones ?? [], running);
  const sirens = sirenUsage(db, from, to);
  const nodes = nodeUptime(db, from, to, opts.nodes ?? [], running);
  return {
    day,
    tz: dayOffsetLabel(day, tz),
    from,
    to,
    gw: gatewayId,
    village_code: site.village_code,
    site: { name: site.name, park: site.park, lat: site.lat, lon: site.lon },
    readings: { received: r.received, lost: r.lost, by_type: r.byType },
    detections: r.detections,
    elephant_detections: r.elephant,
    minutes_at_level: levels.village,
    zones: levels.zones,
    sirens: { activations: sirens.activations, seconds_on: Math.round(sirens.ms / 1000) },
    nodes: { total: nodes.total, online_pct: nodes.onlinePct },
    gateway: { uptime_s: Math.round(uptimeMs / 1000), running },
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
