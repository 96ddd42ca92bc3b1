import { onSecondsLastHour } from './ledger.js';
import type { SilenceBook } from './silences.js';
import type { SirenSlot } from './state.js';

/** One siren as shown by `siaga status`. */
export interface SirenStatus {
  id: string;
  on: boolean;
  /** Zone it is sounding for (null when off or sounding for a test). */
  zone: string | null;
  fault?: string;
  onSecondsLastHour: number;
  silencedUntil?: number;
}

/** What one siren reports at `now`: state, fault, on-time used and the latest silence over its zones. */
export function sirenStatus(s: SirenSlot, silences: SilenceBook, now: number): SirenStatus {
  const silencedUntil = silences.latestUntil(s.zones, now);
  return {
    id: s.id,
    on: s.on,
    zone: s.on ? s.onZone : null,
    ...(s.fault ? { fault: s.fault } : {}),
    onSecondsLastHour: onSecondsLastHour(s.intervals, now),
    ...(silencedUntil !== undefined ? { silencedUntil } : {}),
  };
}
