import type { LevelChange } from '../../src/detect/types.js';
import { type Level, levelRank } from '../../src/domain/index.js';
import type { ReplayResult } from '../../src/report/replay.js';
import { herdNear, type Night } from './night.js';

/**
 * D1–D5 of issue 19 for one night and how they add up over a month:
 * - D1 lead time: minutes between the first WASPADA / SIAGA / AWAS of the alarm that was on when
 *   the herd reached the field edge and that moment (a level not reached by then counts 0);
 * - D2 missed herd: it reached the fields with no AWAS before;
 * - D3 false siren: a zone rising to AWAS with no elephant within 500 m of any of its nodes
 *   (sensor alarms; a child's panic press is counted apart, no threshold can stop it);
 * - D4 siren seconds per night;
 * - D5 false SMS: messages about an incident (NORMAL → … → all-clear) during which no elephant came
 *   within 500 m.
 */

export const WARN_LEVELS = ['WASPADA', 'SIAGA', 'AWAS'] as const;

export interface NightScore {
  herd: boolean;
  reachedFields: boolean;
  /** Lead minutes per level, for a herd that reached the fields. */
  lead?: Record<(typeof WARN_LEVELS)[number], number>;
  missed: boolean;
  /** The missed herd had left the park off the trails. */
  missedOffTrail: boolean;
  falseSirens: number;
  falseManual: number;
  sirenSeconds: number;
  sms: number;
  falseSms: number;
}

/** The zone's episodes above NORMAL: [rise, all-clear] (or the replay's end). */
function episodes(changes: readonly LevelChange[], end: number): [number, number][] {
  const out: [number, number][] = [];
  let open: number | undefined;
  for (const c of changes) {
    if (c.prev === 'NORMAL' && c.level !== 'NORMAL') open = c.ts;
    else if (c.level === 'NORMAL' && open !== undefined) {
      out.push([open, c.ts]);
      open = undefined;
    }
  }
  if (open !== undefined) out.push([open, end]);
  return out;
}

function leadAt(changes: readonly LevelChange[], at: number): Record<(typeof WARN_LEVELS)[number], number> {
  const first = new Map<Level, number>();
  for (const c of changes) {
    if (c.ts > at) break;
    if (c.level === 'NORMAL') first.clear();
    for (const l of WARN_LEVELS) if (levelRank(c.level) >= levelRank(l) && !first.has(l)) first.set(l, c.ts);
  }
  const lead = (l: Level) => {
    const t = first.get(l);
    return t === undefined ? 0 : (at - t) / 60_000;
  };
  return { WASPADA: lead('WASPADA'), SIAGA: lead('SIAGA'), AWAS: lead('AWAS') };
}

export function judgeNight(night: Night, r: ReplayResult, zone: string): NightScore {
  const changes = r.changes.filter((c) => c.zone === zone);
  const fieldAt = night.herd?.fieldAt;
  const score: NightScore = {
    herd: night.herd !== undefined,
    reachedFields: fieldAt !== undefined,
    missed: false,
    missedOffTrail: false,
    falseSirens: 0,
    falseManual: 0,
    sirenSeconds: Object.values(r.sirenSeconds).reduce((a, b) => a + b, 0),
    sms: r.notifications.length,
    falseSms: 0,
  };
  if (fieldAt !== undefined) {
    score.lead = leadAt(changes, fieldAt);
    score.missed = !awasBefore(changes, fieldAt);
    score.missedOffTrail = score.missed && night.herd?.offTrail === true;
  }
  for (const c of changes) {
    if (c.level !== 'AWAS' || c.prev === 'AWAS' || herdNear(night, c.ts)) continue;
    if (c.manual) score.falseManual++;
    else score.falseSirens++;
  }
  for (const [a, b] of episodes(changes, r.to)) {
    if (herdSeenBetween(night, a, b)) continue;
    score.falseSms += r.notifications.filter((n) => n.zone === zone && n.at >= a && n.at <= b).length;
  }
  return score;
}

/** AWAS was reached in the alarm still running at `t` (not in an earlier one that had ended). */
function awasBefore(changes: readonly LevelChange[], t: number): boolean {
  let seen = false;
  for (const c of changes) {
    if (c.ts > t) break;
    if (c.level === 'NORMAL') seen = false;
    if (c.level === 'AWAS') seen = true;
  }
  return seen;
}

function herdSeenBetween(night: Night, a: number, b: number): boolean {
  const h = night.herd;
  if (h === undefined) return false;
  const { t0, stepMs } = h.track;
  const i0 = Math.max(0, Math.floor((a - t0) / stepMs));
  const i1 = Math.min(night.near.length - 1, Math.floor((b - t0) / stepMs));
  for (let i = i0; i <= i1; i++) if (night.near[i]) return true;
  return false;
}

export interface Totals {
  nights: number;
  months: number;
  herds: number;
  reached: number;
  leads: Record<(typeof WARN_LEVELS)[number], number[]>;
  missed: number;
  missedOffTrail: number;
  falseSirens: number;
  falseManual: number;
  sirenSeconds: number;
  sms: number;
  falseSms: number;
}

export function emptyTotals(months: number): Totals {
  return {
    nights: 0,
    months,
    herds: 0,
    reached: 0,
    leads: { WASPADA: [], SIAGA: [], AWAS: [] },
    missed: 0,
    missedOffTrail: 0,
    falseSirens: 0,
    falseManual: 0,
    sirenSeconds: 0,
    sms: 0,
    falseSms: 0,
  };
}

export function addNight(t: Totals, s: NightScore): void {
  t.nights++;
  if (s.herd) t.herds++;
  if (s.reachedFields) t.reached++;
  if (s.lead) for (const l of WARN_LEVELS) t.leads[l].push(s.lead[l]);
  if (s.missed) t.missed++;
  if (s.missedOffTrail) t.missedOffTrail++;
  t.falseSirens += s.falseSirens;
  t.falseManual += s.falseManual;
  t.sirenSeconds += s.sirenSeconds;
  t.sms += s.sms;
  t.falseSms += s.falseSms;
}

/** The q-quantile (0..1) of values, linear between ranks; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}

/** The figures of one variant on one mix, as the table prints them. */
export interface Figures {
  d1: Record<(typeof WARN_LEVELS)[number], { median: number; p10: number }>;
  d2: number;
  /** Of d2: herds that left the park off the trails (a gap in the layout, not in the config). */
  d2OffTrail: number;
  herdsReached: number;
  d3: number;
  d3manual: number;
  d4: number;
  d5: number;
  smsPerMonth: number;
}

export function figures(t: Totals): Figures {
  const d1 = Object.fromEntries(
    WARN_LEVELS.map((l) => [l, { median: quantile(t.leads[l], 0.5), p10: quantile(t.leads[l], 0.1) }]),
  ) as Figures['d1'];
  return {
    d1,
    d2: t.missed,
    d2OffTrail: t.missedOffTrail,
    herdsReached: t.reached,
    d3: t.falseSirens / t.months,
    d3manual: t.falseManual / t.months,
    d4: t.sirenSeconds / Math.max(1, t.nights),
    d5: t.falseSms / t.months,
    smsPerMonth: t.sms / t.months,
  };
}
