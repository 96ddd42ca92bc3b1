import { UsageError } from '../domain/index.js';
import { DEFAULT_TZ, localDate, zonedTimeToUtc } from '../util/local-time.js';
import { t } from './io.js';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90s`, `30m`, `1h`, `2d` → milliseconds. */
export function parseDuration(text: string): number {
  const [, amount, unit] = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim()) ?? [];
  const perUnit = unit === undefined ? undefined : UNITS[unit];
  if (amount === undefined || perUnit === undefined) throw new UsageError(t('time.bad_duration', { text }));
  return Number(amount) * perUnit;
}

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * An ISO date/time, `today`, or a duration back from now (`1h` = one hour ago) → epoch ms.
 * `today`, a date and a date-time without an offset are the site's local time (`tz`), not the
 * system's: a technician in Lampung means WIB whatever zone the Pi runs in.
 */
export function parseTime(text: string, now: number, tz = DEFAULT_TZ): number {
  if (/^\d+(?:\.\d+)?\s*[smhdw]$/.test(text.trim())) return now - parseDuration(text);
  if (text === 'now') return now;
  if (text === 'today') {
    const [y, m, d] = localDate(now, tz).split('-').map(Number) as [number, number, number];
    return zonedTimeToUtc(tz, y, m, d);
  }
  const local = LOCAL_RE.exec(text.trim());
  if (local) {
    const [y, mo, d, h, mi, s] = local.slice(1, 7).map((x) => Number(x ?? 0)) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const ms = zonedTimeToUtc(tz, y, mo, d, h, mi, s);
    if (Number.isFinite(ms) && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && s < 60)
      return ms;
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(t('time.bad_time', { text }));
  return ms;
}

/** Milliseconds → "3m 20s" for people. */
export function formatAgo(ms: number): string {
  if (ms < 0) return t('time.future');
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}
