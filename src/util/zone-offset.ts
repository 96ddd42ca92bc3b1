/**
 * A time zone's offset from UTC without an Intl formatter. The first `Intl.DateTimeFormat` of a
 * process pages in ~8 MB of ICU's locale and formatting data, resident for the gateway's life
 * (bench/README.md, Memory); V8's own local time under `TZ` needs only the zone rules (~0.7 MB).
 * So the offset is read as `Date#getTimezoneOffset()` with `process.env.TZ` set to the zone for
 * that one synchronous call and put back at once (Node re-reads the zone whenever TZ is
 * assigned); nothing else can run in between.
 *
 * Only names in V8's own list of canonical zones go that way: an alias or a name in another case
 * (`asia/jakarta`, which Intl accepts) would silently be UTC under TZ, so those keep Intl.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let canonical: ReadonlySet<string> | undefined;

/** True when `tz` is a canonical IANA name of this Node (costs ~0.5 MB, not ICU's 8). */
export function isCanonicalZone(tz: string): boolean {
  // The list leaves out UTC, which TZ takes as it is.
  canonical ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);
  return canonical.has(tz);
}

/** Minutes east of UTC at `ts`, read through V8's local time with TZ set to `tz` for the call. */
function viaTzEnv(ts: number, tz: string): number {
  const env = process.env;
  const before = env.TZ;
  if (before === tz) return 0 - new Date(ts).getTimezoneOffset();
  env.TZ = tz;
  try {
    return 0 - new Date(ts).getTimezoneOffset();
  } finally {
    if (before === undefined) delete env.TZ;
    else env.TZ = before;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The slow, exact way for names V8's TZ does not take as they are written. */
function viaIntl(ts: number, tz: string): number {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  const p: Record<string, number> = {};
  for (const x of f.formatToParts(new Date(ts))) if (x.type !== 'literal') p[x.type] = Number(x.value);
  const wall = Date.UTC(
    p.year ?? 0,
    (p.month ?? 1) - 1,
    p.day ?? 1,
    p.hour ?? 0,
    p.minute ?? 0,
    p.second ?? 0,
  );
  return (wall - Math.floor(ts / 1000) * 1000) / 60_000;
}

/** The offset at `ts`, uncached. */
export function rawOffsetMinutes(ts: number, tz: string): number {
  return isCanonicalZone(tz) ? viaTzEnv(ts, tz) : viaIntl(ts, tz);
}

/**
 * Per zone and UTC day, then hour: the offset when it is the same at the span's first and last
 * millisecond, NaN when a change falls inside it (then the hour, then each instant is looked up).
 * No zone changes its offset and back within a day, so equal ends mean no change in between.
 */
const spans = new Map<string, number>();

function spanOffset(ts: number, tz: string, len: number): number {
  const n = Math.floor(ts / len);
  const key = `${tz}\n${len}\n${n}`;
  let o = spans.get(key);
  if (o === undefined) {
    const a = rawOffsetMinutes(n * len, tz);
    const b = rawOffsetMinutes((n + 1) * len - 1, tz);
    o = a === b ? a : Number.NaN;
    // A listing of a year of readings touches hundreds of days; the gateway a few.
    if (spans.size >= 1024) spans.clear();
    spans.set(key, o);
  }
  return o;
}

/** Minutes east of UTC of `tz` at `ts` (420 for WIB); the zone is looked up about once a day. */
export function zoneOffsetMinutes(ts: number, tz: string): number {
  const day = spanOffset(ts, tz, DAY);
  if (!Number.isNaN(day)) return day;
  const hour = spanOffset(ts, tz, HOUR);
  return Number.isNaN(hour) ? rawOffsetMinutes(ts, tz) : hour;
}

/** The wall clock of `tz` at `ts`: month 1–12, weekday 0 (Sunday)–6. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

export function wallClock(ts: number, tz: string): WallClock {
  return wallParts(Math.floor(ts / 1000) * 1000 + Math.round(zoneOffsetMinutes(ts, tz) * 60) * 1000);
}

/** A wall-clock time held as ms read as if UTC, as its parts. */
export function wallParts(wall: number): WallClock {
  const d = new Date(wall);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
  };
}
