import type { SirenPolicy } from '../config/schema.js';
import { budgetCapMs, budgetFreeAt, MIN_SLICE_MS, type OnInterval, onMsInWindow } from './policy.js';

/**
 * The hourly on-time ledger of one siren (docs/behaviour.md: never more than max_on_s_per_hour per
 * siren; a manual press may use up to twice that). The intervals live on the siren's slot; these
 * functions read and extend them. No I/O.
 */

/**
 * Whether the budget lets a siren (`on` now or not) sound at `now`. When it does, the time the
 * budget runs out is pushed to `wakes`; when an off siren may not, the time it may again is.
 * A siren that is off needs at least MIN_SLICE_MS left, so it never blips on for a millisecond.
 */
export function budgetAllows(
  siren: { on: boolean; intervals: readonly OnInterval[] },
  policy: Pick<SirenPolicy, 'max_on_s_per_hour'>,
  manual: boolean,
  now: number,
  wakes: number[],
): boolean {
  const cap = budgetCapMs(policy, manual);
  const used = onMsInWindow(siren.intervals, now);
  if (siren.on ? used < cap : used + MIN_SLICE_MS <= cap) {
    // On now or about to be: the budget runs out at this time at the latest.
    wakes.push(now + (cap - used));
    return true;
  }
  if (!siren.on) wakes.push(budgetFreeAt(siren.intervals, now, cap, MIN_SLICE_MS));
  return false;
}

/** The siren went on at `now`. */
export function openInterval(intervals: OnInterval[], now: number): void {
  intervals.push({ start: now, end: null });
}

/** The siren went off at `now`. */
export function closeIntervals(intervals: readonly OnInterval[], now: number): void {
  for (const iv of intervals) if (iv.end === null) iv.end = now;
}

/** What a siren that got a new driver keeps: its finished on-time (the new driver starts off). */
export function carriedOver(intervals: readonly OnInterval[]): OnInterval[] {
  return intervals.filter((iv) => iv.end !== null);
}

/**
 * End to record for a siren_log row the gateway left open when it died: it was on at most until
 * `now`, and under live control never longer than one activation. That much counts against the
 * budget, not a whole outage.
 */
export function crashedRunEnd(
  onTs: number,
  now: number,
  policy: Pick<SirenPolicy, 'max_activation_s'>,
): number {
  return Math.max(onTs, Math.min(now, onTs + policy.max_activation_s * 1000));
}

export function onSecondsLastHour(intervals: readonly OnInterval[], now: number): number {
  return onMsInWindow(intervals, now) / 1000;
}
