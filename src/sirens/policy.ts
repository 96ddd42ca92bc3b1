import type { SirenPolicy } from '../config/schema.js';
import { type Level, levelRank, UsageError } from '../domain/index.js';

/**
 * Pure parts of the siren policy (docs/behaviour.md, Sirens): the on/off pattern, the activation
 * window, the hourly on-time budget and silence limits. No timers, no I/O: every function takes
 * `now` and returns values, so the controller and the property tests share one definition.
 */

export const HOUR_MS = 3_600_000;

/** A budget slice shorter than this is not worth switching a siren on for (avoids 1-ms blips). */
export const MIN_SLICE_MS = 1000;

/** One stretch of a siren being on; `end` null while it is still on. */
export interface OnInterval {
  start: number;
  end: number | null;
}

/** True when a zone at `level` should sound its sirens. */
export function soundsAt(level: Level, policy: Pick<SirenPolicy, 'sound_at'>): boolean {
  return levelRank(level) >= levelRank(policy.sound_at);
}

/**
 * Where the on_s/off_s cycle anchored at `anchor` stands at `now`: on for on_s, off for off_s,
 * repeating. With off_s = 0 the siren stays on. `nextToggle` is when the phase flips.
 */
export function patternAt(
  policy: Pick<SirenPolicy, 'on_s' | 'off_s'>,
  anchor: number,
  now: number,
): { on: boolean; nextToggle: number } {
  const onMs = policy.on_s * 1000;
  const offMs = policy.off_s * 1000;
  if (offMs <= 0) return { on: true, nextToggle: Number.POSITIVE_INFINITY };
  const period = onMs + offMs;
  const elapsed = Math.max(0, now - anchor);
  const cycleStart = anchor + Math.floor(elapsed / period) * period;
  const inCycle = now - cycleStart;
  return inCycle < onMs
    ? { on: true, nextToggle: cycleStart + onMs }
    : { on: false, nextToggle: cycleStart + period };
}

/** When an activation started (or retriggered) at `t` stops on its own. */
export function activationDeadline(policy: Pick<SirenPolicy, 'max_activation_s'>, t: number): number {
  return t + policy.max_activation_s * 1000;
}

/** The on-time cap in ms for the sliding hour: manual presses may use twice the normal budget. */
export function budgetCapMs(policy: Pick<SirenPolicy, 'max_on_s_per_hour'>, manual: boolean): number {
  return policy.max_on_s_per_hour * 1000 * (manual ? 2 : 1);
}

/** Milliseconds of on-time inside the window (now − windowMs, now]; open intervals count up to now. */
export function onMsInWindow(intervals: readonly OnInterval[], now: number, windowMs = HOUR_MS): number {
  const from = now - windowMs;
  let sum = 0;
  for (const iv of intervals) {
    const end = Math.min(iv.end ?? now, now);
    const start = Math.max(iv.start, from);
    if (end > start) sum += end - start;
  }
  return sum;
}

/**
 * Earliest time ≥ now at which the on-time in the window has dropped to `cap − need` or less,
 * assuming the siren stays off (all intervals closed). Returns `now` when that is already true.
 */
export function budgetFreeAt(
  intervals: readonly OnInterval[],
  now: number,
  capMs: number,
  needMs: number,
  windowMs = HOUR_MS,
): number {
  const used = onMsInWindow(intervals, now, windowMs);
  let excess = used - (capMs - needMs);
  if (excess <= 0) return now;
  const from = now - windowMs;
  const pieces = intervals
    .map((iv) => ({ start: Math.max(iv.start, from), end: Math.min(iv.end ?? now, now) }))
    .filter((p) => p.end > p.start)
    .sort((a, b) => a.start - b.start);
  // The window's left edge sweeps forward; on-time leaves the window as the edge passes it.
  for (const p of pieces) {
    const len = p.end - p.start;
    if (len >= excess) return p.start + excess + windowMs;
    excess -= len;
  }
  return now + windowMs;
}

/** Drops intervals that ended before the window and can no longer count. */
export function pruneIntervals(intervals: OnInterval[], now: number, windowMs = HOUR_MS): OnInterval[] {
  const from = now - windowMs;
  return intervals.filter((iv) => iv.end === null || iv.end > from);
}

/**
 * Silence length in minutes, limited to `max_silence_min` (docs/behaviour.md: max 240). Zero,
 * negative or non-numeric minutes are refused.
 */
export function clampSilenceMinutes(minutes: number, policy: Pick<SirenPolicy, 'max_silence_min'>): number {
  if (!Number.isFinite(minutes) || minutes <= 0) {
    throw new UsageError(`silence minutes must be a positive number (got ${minutes})`);
  }
  return Math.min(minutes, policy.max_silence_min);
}
