/**
 * Times as the village reads them: in the site's time zone (`gateway.site.tz`), whatever zone the
 * Pi's system clock is set to (most images ship UTC). Pure: every function takes the instant.
 */

import { must } from './must.js';

export const DEFAULT_TZ = 'Asia/Jakarta';

/** Indonesia's own names for its three zones; anything else is shown by its UTC offset. */
const ABBREVIATIONS: Record<string, string> = {
  'Asia/Jakarta': 'WIB',
  'Asia/Pontianak': 'WIB',
  'Asia/Makassar': 'WITA',
  'Asia/Ujung_Pandang': 'WITA',
  'Asia/Jayapura': 'WIT',
};

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** True when `tz` is an IANA zone this Node knows (e.g. `Asia/Jakarta`). */
export function isTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function parts(ts: number, tz: string): Parts {
  const p = new Map<string, number>();
  for (const x of formatter(tz).formatToParts(new Date(ts))) {
    if (x.type !== 'literal') p.set(x.type, Number(x.value));
  }
  // The formatter was built asking for exactly these six parts.
  const part = (type: keyof Parts) => must(p.get(type), 'a part of a formatted time');
  return {
    year: part('year'),
    month: part('month'),
    day: part('day'),
    hour: part('hour'),
    minute: part('minute'),
    second: part('second'),
  };
}

/** Minutes east of UTC of `tz` at the instant `ts` (420 for WIB). */
export function offsetMinutes(ts: number, tz: string): number {
  const p = parts(ts, tz);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(ts / 1000) * 1000) / 60_000);
}

/** An offset in minutes as `+07:00`. */
export function offsetLabel(min: number): string {
  const sign = min < 0 ? '-' : '+';
  const a = Math.abs(min);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** `WIB`, `WITA`, `WIT`, or the offset (`UTC`, `UTC+09:30`) for zones outside Indonesia. */
export function zoneLabel(ts: number, tz: string): string {
  const name = ABBREVIATIONS[tz];
  if (name) return name;
  const off = offsetMinutes(ts, tz);
  return off === 0 ? 'UTC' : `UTC${offsetLabel(off)}`;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `2026-12-01 10:24 WIB` (with `seconds`: `2026-12-01 10:24:05 WIB`). */
export function formatLocalTime(ts: number, tz: string, opts: { seconds?: boolean } = {}): string {
  const p = parts(ts, tz);
  const time = `${pad(p.hour)}:${pad(p.minute)}${opts.seconds ? `:${pad(p.second)}` : ''}`;
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)} ${time} ${zoneLabel(ts, tz)}`;
}

/** ISO 8601 with the site's offset, for `--json`: `2026-12-01T10:24:05.123+07:00`. */
export function isoLocalTime(ts: number, tz: string): string {
  const p = parts(ts, tz);
  const ms = pad(((ts % 1000) + 1000) % 1000, 3);
  return (
    `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}` +
    `.${ms}${offsetLabel(offsetMinutes(ts, tz))}`
  );
}

/** The local calendar day (`YYYY-MM-DD`) in `tz` containing `ts`. */
export function localDate(ts: number, tz: string): string {
  const p = parts(ts, tz);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

/**
 * The instant a local wall-clock time happens in `tz`. The offset is looked up at the guess and
 * once more at the result, which settles it also across a DST change (Indonesia has none).
 */
export function zonedTimeToUtc(
  tz: string,
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  ms = 0,
): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  let t = wall - offsetMinutes(wall, tz) * 60_000;
  t = wall - offsetMinutes(t, tz) * 60_000;
  return t;
}
