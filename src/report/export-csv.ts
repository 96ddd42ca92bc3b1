import type { Db } from '../store/db.js';
import { readingsBetween } from '../store/reading-spans.js';
import type { StoredReading } from '../store/readings.js';
import type { RunSpan } from '../store/run-log.js';
import { DEFAULT_TZ, formatLocalTime, localDate, zoneLabel } from '../util/local-time.js';
import type { DailySummary, SummarySite } from './summary.js';
import { DETECTION_TYPES, LEVEL_NAMES } from './summary-sections.js';

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
  'gateway_running',
] as const;

/**
 * When the gateway ran within its day, for people: `00:00–06:12; 08:30–24:00 WIB` (a span that
 * starts or ends on another day shows its date).
 */
export function runningText(day: string, running: readonly RunSpan[], tz: string): string {
  const [first] = running;
  if (first === undefined) return '';
  const hhmm = (t: number, end: boolean) => {
    const [date, time] = formatLocalTime(t, tz).split(' ') as [string, string];
    if (date === day) return time;
    if (end && localDate(t - 1, tz) === day && time === '00:00') return '24:00';
    return `${date} ${time}`;
  };
  const parts = running.map((s) => `${hhmm(s.from, false)}–${hhmm(s.to, true)}`);
  return `${parts.join('; ')} ${zoneLabel(first.from, tz)}`;
}

/** The daily summaries as CSV, one row per day, with the site metadata columns. */
export function summaryCsv(summaries: readonly DailySummary[], tz = DEFAULT_TZ): string {
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
      runningText(s.day, s.gateway.running ?? [], tz),
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
  'time_local',
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
  const tz = site.tz ?? DEFAULT_TZ;
  yield csvLine(READINGS_CSV_COLUMNS);
  const meta = [gatewayId, site.village_code, site.name, site.park, site.lat, site.lon];
  const rows = db
    .prepare(readingsBetween('id, node, seq, type, ts, via, v, radio, clock_ok', 'ORDER BY ts, rid'))
    .iterate({ from, to }) as IterableIterator<StoredReading>;
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
      formatLocalTime(r.ts, tz, { seconds: true }),
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
