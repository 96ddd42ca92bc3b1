import type { NeighbourConfig } from '../config/schema-neighbours.js';
import type { ExternalEvidence } from '../detect/external.js';
import { LEVELS, type Level, levelRank } from '../domain/index.js';
import { preAlertText } from './text.js';

/** Why a neighbour's message was ignored; each is counted and shown by `siaga status`. */
export const IGNORED_REASONS = [
  'unknown_gateway',
  'gw_mismatch',
  'malformed',
  'stale',
  'out_of_order',
  'not_local',
] as const;
export type IgnoredReason = (typeof IGNORED_REASONS)[number];

export type NeighbourRule = Pick<
  NeighbourConfig,
  'gateway' | 'zones' | 'distance_m' | 'direction' | 'weight' | 'max_age_s'
>;

/** What one message from a neighbour means for us. */
export type Verdict =
  /** Their SIAGA/AWAS, raised by their own sensors, in a zone mapped to our `zone`. */
  | { act: 'evidence'; zone: string; evidence: ExternalEvidence; level: Level }
  /** Their zone dropped below SIAGA, or its level no longer rests on their own sensors. */
  | { act: 'withdraw'; source: string; ts: number; level: Level; ignored?: 'not_local' }
  /** Nothing for us: another kind of event, or a zone we do not map. */
  | { act: 'skip' }
  | { act: 'ignore'; reason: IgnoredReason };

const SIAGA = levelRank('SIAGA');

/** `<gateway>/<their zone>`: what a pre-alert is remembered (and withdrawn) by. */
export const sourceOf = (gateway: string, zone: string): string => `${gateway}/${zone}`;

/**
 * Judges one message that arrived on a neighbour's events topic. Pure: `gateway` is the one the
 * topic (or the broker connection) names, which the broker's ACL vouches for; a payload naming
 * another is refused. `lastTs(source)` is the ts of the newest event already taken from that
 * source: an older one (a duplicate path delivering late) must not undo a newer all-clear.
 *
 * Only levels raised by the neighbour's own evidence (`local: true`) pre-alert: a level that rests
 * on someone's pre-alert never travels on, so A → B → A cannot raise anyone. A payload without
 * `local` is treated as not local.
 */
export function judgeNeighbourEvent(
  gateway: string,
  payload: Buffer | string,
  now: number,
  rules: ReadonlyMap<string, NeighbourRule>,
  lastTs: (source: string) => number | undefined,
): Verdict {
  const rule = rules.get(gateway);
  if (rule === undefined) return { act: 'ignore', reason: 'unknown_gateway' };
  let e: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(payload.toString());
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new TypeError('not an object');
    e = parsed as Record<string, unknown>;
  } catch {
    return { act: 'ignore', reason: 'malformed' };
  }
  if (e.gw !== undefined && e.gw !== gateway) return { act: 'ignore', reason: 'gw_mismatch' };
  if (typeof e.kind !== 'string' || typeof e.ts !== 'number' || !Number.isFinite(e.ts))
    return { act: 'ignore', reason: 'malformed' };
  if (e.kind !== 'level') return { act: 'skip' };
  const level = e.level;
  if (
    typeof e.zone !== 'string' ||
    typeof level !== 'string' ||
    !(LEVELS as readonly string[]).includes(level)
  )
    return { act: 'ignore', reason: 'malformed' };
  const ours = rule.zones[e.zone];
  if (ours === undefined) return { act: 'skip' };
  const ts = e.ts;
  if (now - ts > rule.max_age_s * 1000) return { act: 'ignore', reason: 'stale' };
  const source = sourceOf(gateway, e.zone);
  const last = lastTs(source);
  if (last !== undefined && ts < last) return { act: 'ignore', reason: 'out_of_order' };
  const lvl = level as Level;
  if (levelRank(lvl) < SIAGA) return { act: 'withdraw', source, ts, level: lvl };
  if (e.local !== true) return { act: 'withdraw', source, ts, level: lvl, ignored: 'not_local' };
  return {
    act: 'evidence',
    zone: ours,
    level: lvl,
    evidence: {
      source,
      weight: rule.weight,
      ts,
      text: preAlertText(gateway, lvl, rule.distance_m, rule.direction),
    },
  };
}
