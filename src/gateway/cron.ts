import { parse } from 'node-cron';
import { type WallClock, wallClock, wallParts, zoneOffsetMinutes } from '../util/zone-offset.js';

/**
 * Cron times in the site's zone without node-cron's matcher: node-cron 4 reads the wall clock
 * through an `Intl.DateTimeFormat` for every match, and the heartbeat is due every minute, so
 * ICU's 8 MB of formatting data stayed resident for the gateway's life. node-cron still parses
 * and validates the expressions (the config check uses it), so the syntax and meaning are its own:
 * day of month AND day of week must both match, `L`, `15W`, `LW`, `L-2`, `5#2`, `5L` included.
 */

type Field = readonly (number | string)[];

export interface CronFields {
  second: Field;
  minute: Field;
  hour: Field;
  dayOfMonth: Field;
  month: Field;
  dayOfWeek: Field;
}

export function parseCron(expr: string): CronFields {
  return parse(expr) as CronFields;
}

const lastDay = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
const weekdayOf = (year: number, month: number, day: number) =>
  new Date(Date.UTC(year, month - 1, day)).getUTCDay();

function nearestWeekday(year: number, month: number, target: number): number {
  const last = lastDay(year, month);
  if (target < 1 || target > last) return -1;
  const wd = weekdayOf(year, month, target);
  if (wd === 6) return target === 1 ? target + 2 : target - 1;
  if (wd === 0) return target === last ? target - 2 : target + 1;
  return target;
}

function dayOfMonthMatches(field: Field, w: WallClock): boolean {
  for (const v of field) {
    if (v === w.day) return true;
    if (typeof v !== 'string') continue;
    if (v === 'L') {
      if (w.day === lastDay(w.year, w.month)) return true;
      continue;
    }
    const near = /^(\d{1,2}|L)W$/.exec(v);
    if (near) {
      const target = near[1] === 'L' ? lastDay(w.year, w.month) : Number(near[1]);
      if (nearestWeekday(w.year, w.month, target) === w.day) return true;
      continue;
    }
    const before = /^L-(\d{1,2})$/.exec(v);
    if (before && lastDay(w.year, w.month) - Number(before[1]) === w.day) return true;
  }
  return false;
}

function dayOfWeekMatches(field: Field, w: WallClock): boolean {
  for (const v of field) {
    if (v === w.weekday) return true;
    if (typeof v !== 'string') continue;
    const nth = /^([0-7])#([1-5])$/.exec(v);
    if (nth) {
      if (Number(nth[1]) % 7 === w.weekday && Math.ceil(w.day / 7) === Number(nth[2])) return true;
      continue;
    }
    const last = /^([0-7])L$/i.exec(v);
    if (last && Number(last[1]) % 7 === w.weekday && w.day + 7 > lastDay(w.year, w.month)) return true;
  }
  return false;
}

const dayMatches = (f: CronFields, w: WallClock) =>
  f.month.includes(w.month) && dayOfMonthMatches(f.dayOfMonth, w) && dayOfWeekMatches(f.dayOfWeek, w);

/** True when the wall clock `w` is one of the expression's times (to the second). */
export function cronMatches(f: CronFields, w: WallClock): boolean {
  return (
    f.second.includes(w.second) && f.minute.includes(w.minute) && f.hour.includes(w.hour) && dayMatches(f, w)
  );
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Beyond this the expression is taken as never due (node-cron looks as far). */
const HORIZON_MS = 366 * 100 * 86_400_000;

/**
 * The first time after `after` (ms) at which `f` is due in `tz`. Walks minute by minute, skipping
 * whole hours and days that cannot match (by their wall-clock length: a DST jump forward lands
 * only past wall times that did not exist). Across a DST change, a fixed time of day that falls
 * in the hour gone runs at the first minute after it, and one in the hour that repeats runs once;
 * expressions for every hour follow real time, as cron does.
 */
export function nextCronTime(f: CronFields, after: number, tz: string): number | undefined {
  const everyHour = f.hour.length === 24;
  let t = Math.floor(after / 1000) * 1000 + 1000;
  while (t <= after + HORIZON_MS) {
    const w = wallClock(t, tz);
    if (!dayMatches(f, w)) {
      // The next day that matches, by the calendar alone (no zone lookups: a rare expression may
      // be years away), then its first instant.
      let d = Date.UTC(w.year, w.month - 1, w.day) + DAY;
      while (d <= after + HORIZON_MS && !dayMatches(f, wallParts(d))) d += DAY;
      if (d > after + HORIZON_MS) return undefined;
      t = Math.max(t + 1000, firstInstantOf(d, tz));
      continue;
    }
    if (!f.hour.includes(w.hour) && !(!everyHour && inGap(f, t, tz))) {
      t += (59 - w.minute) * MINUTE + (60 - w.second) * 1000;
      continue;
    }
    if (!f.minute.includes(w.minute) && !(!everyHour && inGap(f, t, tz))) {
      t += (60 - w.second) * 1000;
      continue;
    }
    const s = Math.min(...f.second.filter((x): x is number => typeof x === 'number' && x >= w.second));
    if (s === Number.POSITIVE_INFINITY) {
      t += (60 - w.second) * 1000;
      continue;
    }
    const at = t + (s - w.second) * 1000;
    if (everyHour || !repeated(at, tz)) return at;
    t = at + 1000;
  }
  return undefined;
}

const wallMs = (w: WallClock) => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);

/** The first instant whose wall clock in `tz` is at or after `wall` (a midnight a DST jump skips: the jump). */
function firstInstantOf(wall: number, tz: string): number {
  let t = wall - zoneOffsetMinutes(wall, tz) * MINUTE;
  t = wall - zoneOffsetMinutes(t, tz) * MINUTE;
  const seen = wallMs(wallClock(t, tz));
  return seen < wall ? t + (wall - seen) : t;
}

/**
 * At the first second after a DST jump forward: true when `f` was due at a wall time the jump
 * skipped (the 02:30 of a night that goes from 02:00 to 03:00), so it runs now instead of not at all.
 */
function inGap(f: CronFields, t: number, tz: string): boolean {
  const before = wallClock(t - 1000, tz);
  const now = wallClock(t, tz);
  const skipped = wallMs(now) - 1000;
  for (let m = wallMs(before) + 1000; m <= skipped; m += 1000) if (cronMatches(f, wallParts(m))) return true;
  return false;
}

/** True when the wall time at `at` already happened earlier (the second pass of a repeated hour). */
function repeated(at: number, tz: string): boolean {
  const wall = wallMs(wallClock(at, tz));
  // Offsets fall back by at most a few hours; look where the same wall time would have been.
  for (let back = 15 * MINUTE; back <= 3 * 60 * MINUTE; back += 15 * MINUTE)
    if (wallMs(wallClock(at - back, tz)) === wall) return true;
  return false;
}

/** A cron line that is running: when it is due next, and how to stop it. */
export interface CronTask {
  readonly name: string;
  /** The next `n` times it is due after `from` (default now), ms. */
  nextRuns(n: number, from?: number): number[];
  stop(): void;
}

/**
 * Longest sleep. Timers run on the monotonic clock: a wall clock stepped (NTP after a boot
 * without RTC) is noticed at the next wake, so a daily job is at most this late after a step;
 * waking more often would cost the idle gateway wake-ups (P7).
 */
const MAX_SLEEP_MS = 10 * MINUTE;

/**
 * Runs `run` at each time `expr` is due in `tz`. A time missed while the clock jumped forward is
 * run once, late, not once per missed time; after the clock jumps back the times are looked up
 * again from the new now.
 */
export function scheduleCron(
  name: string,
  expr: string,
  tz: string,
  run: () => unknown,
  now: () => number = Date.now,
): CronTask {
  const f = parseCron(expr);
  let last = now();
  let due = nextCronTime(f, last, tz);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const arm = () => {
    if (stopped || due === undefined) return;
    timer = setTimeout(wake, Math.max(0, Math.min(due - now(), MAX_SLEEP_MS)));
    timer.unref();
  };
  const wake = () => {
    const t = now();
    if (t < last) due = nextCronTime(f, t - 1, tz);
    last = t;
    if (due !== undefined && t >= due) {
      due = nextCronTime(f, t, tz);
      run();
    }
    arm();
  };
  arm();
  return {
    name,
    nextRuns(n, from = now()) {
      const out: number[] = [];
      for (let t = nextCronTime(f, from, tz); t !== undefined && out.length < n; t = nextCronTime(f, t, tz))
        out.push(t);
      return out;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
