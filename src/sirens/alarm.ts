import type { SirenPolicy } from '../config/schema.js';
import type { EngineOutput } from '../detect/types.js';
import { type Level, levelRank } from '../domain/index.js';
import { activationDeadline, soundsAt } from './policy.js';
import type { Activation, SirenState, ZoneSlot } from './state.js';

/**
 * Per-zone alarms: how the engine's level changes, button presses and new evidence start, extend
 * or end a zone's activation (docs/behaviour.md: stop after max_activation_s unless re-triggered by new
 * evidence). Updates state only; no timers, no I/O.
 */

export function newActivation(
  policy: Pick<SirenPolicy, 'max_activation_s'>,
  now: number,
  manual: boolean,
  cause: string,
): Activation {
  return { start: now, anchor: now, until: activationDeadline(policy, now), manual, cause };
}

/** Re-evaluation after the engine restored its state: zones at or above sound_at get an activation. */
export function restoreLevels(st: SirenState, entries: Iterable<[string, Level]>, now: number): void {
  for (const [zone, level] of entries) {
    const z = st.zones.get(zone);
    if (!z) continue;
    if (setLevel(z, level, st.policy) && !z.activation)
      z.activation = newActivation(st.policy, now, false, 'restore');
  }
}

/** Applies what the engine decided for one reading or tick. Returns whether any zone of ours was touched. */
export function applyEngineOutput(
  st: SirenState,
  out: Pick<EngineOutput, 'changes' | 'retriggered' | 'pressed'>,
  now: number,
): boolean {
  let touched = false;
  for (const c of out.changes) {
    const z = st.zones.get(c.zone);
    if (!z) continue;
    touched = true;
    // A level only a neighbour's pre-alert holds up never sounds (src/neighbours): WASPADA at most.
    const level = c.neighbourOnly && !c.manual && levelRank(c.level) > 1 ? 'WASPADA' : c.level;
    if (!setLevel(z, level, st.policy)) continue;
    const rising = c.manual || !soundsAt(c.prev, st.policy) || levelUp(c.prev, c.level);
    if (rising) raise(st, c.zone, z, now, c.manual, c.manual ? 'manual' : 'level');
  }
  for (const zone of out.retriggered) {
    const z = st.zones.get(zone);
    if (!z || !soundsAt(z.level, st.policy)) continue;
    touched = true;
    const manual = out.pressed?.includes(zone) ?? false;
    raise(st, zone, z, now, manual, manual ? 'manual' : 'retrigger');
  }
  return touched;
}

/** Drops the activations that ran out by `now`; returns their zones. */
export function endActivations(zones: ReadonlyMap<string, ZoneSlot>, now: number): Set<string> {
  const ended = new Set<string>();
  for (const [id, z] of zones) {
    if (z.activation && now >= z.activation.until) {
      delete z.activation;
      ended.add(id);
    }
  }
  return ended;
}

/** Sounding resumes with an on-phase (a silence of the zone ended). */
export function reanchor(zones: ReadonlyMap<string, ZoneSlot>, zone: string, now: number): void {
  const a = zones.get(zone)?.activation;
  if (a) a.anchor = now;
}

/** Sets a zone's level; below sound_at its activation ends. Returns whether the zone sounds at it. */
function setLevel(z: ZoneSlot, level: Level, policy: Pick<SirenPolicy, 'sound_at'>): boolean {
  z.level = level;
  if (soundsAt(level, policy)) return true;
  delete z.activation;
  return false;
}

/** A new alarm for a sounding zone: extends the activation in progress, or starts one. */
function raise(st: SirenState, zone: string, z: ZoneSlot, now: number, manual: boolean, cause: string): void {
  const a = z.activation;
  if (a && now < a.until) {
    a.until = activationDeadline(st.policy, now);
    if (manual && !a.manual) {
      // A button press is a new alarm: it sounds through silence and through an operator's off.
      if (st.silences.isSilenced(zone, now)) a.anchor = now;
      Object.assign(a, { manual: true, start: now, cause: 'manual' });
    }
  } else {
    z.activation = newActivation(st.policy, now, manual, cause);
  }
}

function levelUp(prev: Level, level: Level): boolean {
  return levelRank(level) > levelRank(prev);
}
