/**
 * The gateway's local day. Indonesia has no DST: a local day is a fixed offset east of UTC, WIB
 * (UTC+7, 420 min) unless told otherwise (WITA +480, WIT +540).
 */
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

/** An offset in minutes as `+07:00`. */
export function tzLabel(min: number): string {
  const sign = min < 0 ? '-' : '+';
  const a = Math.abs(min);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}
