/**
 * Times as the village reads them: in the site's time zone (`gateway.site.tz`), whatever zone the
 * Pi's system clock is set to (most images ship UTC). Every function takes the instant; the zone's
 * offset comes from util/zone-offset.ts, without ICU's formatting data.
 */

import { isCanonicalZone, wallClock, zoneOffsetMinutes } from './zone-offset.js';

export const DEFAULT_TZ = 'Asia/Jakarta';

/** Indonesia's own names for its three zones; anything else is shown by its UTC offset. */
const ABBREVIATIONS: Record<string, string> = {
  'Asia/Jakarta': 'WIB',
  'Asia/Pontianak': 'WIB',
  'Asia/Makassar': 'WITA',
  'Asia/Ujung_Pandang': 'WITA',
  'Asia/Jayapura': 'WIT',
};

/** True when `tz` is an IANA zone this Node knows (e.g. `Asia/Jakarta`). */
export function isTimeZone(tz: string): boolean {
  // The canonical names without an Intl formatter: `siaga run` checks the config with this, and
  // the formatter's 8 MB of ICU data would stay resident (util/zone-offset.ts).
  if (isCanonicalZone(tz)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Minutes east of UTC of `tz` at the instant `ts` (420 for WIB). */
export function offsetMinutes(ts: number, tz: string): number {
  return Math.round(zoneOffsetMinutes(ts, tz));
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
  const p = wallClock(ts, tz);
  const time = `${pad(p.hour)}:${pad(p.minute)}${opts.seconds ? `:${pad(p.second)}` : ''}`;
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)} ${time} ${zoneLabel(ts, tz)}`;
}

/** ISO 8601 with the site's offset, for `--json`: `2026-12-01T10:24:05.123+07:00`. */
export function isoLocalTime(ts: number, tz: string): string {
  const p = wallClock(ts, tz);
  const ms = pad(((ts % 1000) + 1000) % 1000, 3);
  return (
    `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}` +
    `.${ms}${offsetLabel(offsetMinutes(ts, tz))}`
  );
}

/** The local calendar day (`YYYY-MM-DD`) in `tz` containing `ts`. */
export function localDate(ts: number, tz: string): string {
  const p = wallClock(ts, tz);
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
