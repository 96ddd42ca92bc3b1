import { DEFAULT_TZ, localDate, offsetLabel, offsetMinutes, zonedTimeToUtc } from '../util/local-time.js';

/**
 * The gateway's local day, in the site's IANA time zone (`gateway.site.tz`, default Asia/Jakarta),
 * never the system's: most Pi images run in UTC, where "yesterday" at 00:05 WIB is the wrong day.
 */
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** [from, to) in epoch ms of a local day `YYYY-MM-DD`. */
export function dayWindow(day: string, tz = DEFAULT_TZ): { from: number; to: number } {
  const m = DAY_RE.exec(day);
  if (!m) throw new RangeError(`day must be YYYY-MM-DD, got "${day}"`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return { from: zonedTimeToUtc(tz, y, mo, d), to: zonedTimeToUtc(tz, y, mo, d + 1) };
}

/** The local day (YYYY-MM-DD) containing `ts`. */
export function localDay(ts: number, tz = DEFAULT_TZ): string {
  return localDate(ts, tz);
}

/** The day before the local day containing `now` (what the 00:05 schedule summarises). */
export function previousDay(now: number, tz = DEFAULT_TZ): string {
  return localDay(dayWindow(localDay(now, tz), tz).from - 1, tz);
}

/** The day after `day`. */
export function nextDay(day: string, tz = DEFAULT_TZ): string {
  return localDay(dayWindow(day, tz).to, tz);
}

/** The zone's offset at the start of `day`, as `+07:00` (the summary's `tz` column). */
export function dayOffsetLabel(day: string, tz = DEFAULT_TZ): string {
  return offsetLabel(offsetMinutes(dayWindow(day, tz).from, tz));
}
