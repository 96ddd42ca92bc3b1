import { budgetAllows } from './ledger.js';
import { patternAt } from './policy.js';
import type { Decision, SirenSlot, SirenState, Switch } from './state.js';

/**
 * What each siren should be doing at a moment, from the zones' activations, silences, the on/off
 * pattern, operator overrides and the hourly budget (docs/behaviour.md, Sirens). No timers, no I/O:
 * every time an answer may change is pushed to `wakes` so the caller can arm one timer.
 */

/** What one siren should be doing at `now`; pushes the times its answer may change to `wakes`. */
export function decide(st: SirenState, slot: SirenSlot, now: number, wakes: number[]): Decision {
  let want: { zone: string | null; cause: string; manual: boolean } | null = null;
  let why = 'max_activation';
  if (slot.override && now < slot.override.until) {
    wakes.push(slot.override.until);
    want = { zone: null, cause: slot.override.kind, manual: true };
  } else {
    if (slot.override) why = slot.override.kind;
    let sawPatternOff = false;
    let sawSilence = false;
    let sawMuted = false;
    for (const zone of slot.zones) {
      const a = st.zones.get(zone)?.activation;
      if (!a || now >= a.until) continue;
      wakes.push(a.until);
      if (a.start <= slot.mutedAt) {
        sawMuted = true;
        continue;
      }
      if (!a.manual && st.silences.isSilenced(zone, now)) {
        sawSilence = true;
        continue;
      }
      const p = patternAt(st.policy, a.anchor, now);
      wakes.push(p.nextToggle);
      if (!p.on) {
        sawPatternOff = true;
        continue;
      }
      if (!want || (a.manual && !want.manual)) {
        const cause = slot.lastActivation === a.start ? 'pattern' : a.cause;
        want = { zone, cause, manual: a.manual };
      }
    }
    if (!want) why = sawPatternOff ? 'pattern' : sawSilence ? 'silence' : sawMuted ? 'off' : why;
  }
  if (!want) return { on: false, zone: null, cause: why };
  if (budgetAllows(slot, st.policy, want.manual, now, wakes)) {
    return { on: true, zone: want.zone, cause: want.cause };
  }
  return { on: false, zone: null, cause: 'budget' };
}

/**
 * The sirens whose hardware state must change at `now`. A siren that stays on but now sounds for
 * another zone only has its bookkeeping updated; overrides that ran out are dropped. `ended` are
 * the zones whose activation just ran out; `hint` names the off cause when the input itself
 * explains it (the level dropped, an operator's off).
 */
export function planSwitches(
  st: SirenState,
  now: number,
  wakes: number[],
  ended: ReadonlySet<string>,
  hint?: string,
): Switch[] {
  const switches: Switch[] = [];
  for (const slot of st.sirens.values()) {
    const d = decide(st, slot, now, wakes);
    if (slot.override && now >= slot.override.until) delete slot.override;
    if (d.on === slot.on && (!d.on || d.zone === slot.onZone || d.zone === null)) continue;
    if (d.on && slot.on) {
      // Same siren, now sounding for another zone: no hardware switch, just the bookkeeping.
      slot.onZone = d.zone;
      continue;
    }
    const endedHere = slot.onZone !== null && ended.has(slot.onZone);
    const cause = !d.on && hint && d.cause === 'max_activation' && !endedHere ? hint : d.cause;
    switches.push({ slot, on: d.on, zone: d.on ? d.zone : slot.onZone, cause });
  }
  return switches;
}
