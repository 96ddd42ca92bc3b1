import type { SirenPolicy } from '../config/schema.js';
import type { Silence } from '../store/silences.js';
import { clampSilenceMinutes } from './policy.js';

/**
 * The zones silenced right now (docs/behaviour.md: a technician or a signed command silences a zone
 * for N minutes, max 240; it expires on its own). Memory only: the controller persists changes.
 * A silence counts while `until > now`; one past its end counts as none even before it is swept.
 */
export class SilenceBook {
  private readonly byZone = new Map<string, Silence>();

  /** The silence in force for `zone` at `now`, if any. */
  active(zone: string, now: number): Silence | undefined {
    const s = this.byZone.get(zone);
    return s !== undefined && s.until > now ? s : undefined;
  }

  isSilenced(zone: string, now: number): boolean {
    return this.active(zone, now) !== undefined;
  }

  set(s: Silence): void {
    this.byZone.set(s.zone, s);
  }

  /** Returns false when the zone had no silence. */
  delete(zone: string): boolean {
    return this.byZone.delete(zone);
  }

  /** Silences in force at `now`. */
  list(now: number): Silence[] {
    return [...this.byZone.values()].filter((s) => s.until > now);
  }

  /** Latest end of a silence in force over any of `zones`, or undefined when none is. */
  latestUntil(zones: readonly string[], now: number): number | undefined {
    let until: number | undefined;
    for (const z of zones) {
      const s = this.active(z, now);
      if (s) until = Math.max(until ?? 0, s.until);
    }
    return until;
  }

  /** Removes the silences that ended by `now` and returns them; pushes the ends of the others to `wakes`. */
  sweep(now: number, wakes: number[]): Silence[] {
    const expired: Silence[] = [];
    for (const [zone, s] of this.byZone) {
      if (s.until > now) {
        wakes.push(s.until);
        continue;
      }
      this.byZone.delete(zone);
      expired.push(s);
    }
    return expired;
  }
}

/** A silence of `minutes` (clamped to max_silence_min; refused when not positive) starting at `now`. */
export function newSilence(
  zone: string,
  minutes: number,
  by: string,
  reason: string | undefined,
  now: number,
  policy: Pick<SirenPolicy, 'max_silence_min'>,
): { silence: Silence; minutes: number } {
  const min = clampSilenceMinutes(minutes, policy);
  const silence: Silence = { zone, until: now + Math.round(min * 60_000), by, ...(reason ? { reason } : {}) };
  return { silence, minutes: min };
}
