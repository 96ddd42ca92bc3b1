import type { Logger } from 'pino';
import type { SirenPolicy } from '../config/schema.js';
import type { Level } from '../domain/index.js';
import type { SirenDriver } from '../ports/siren-driver.js';
import { carriedOver, closeIntervals, openInterval } from './ledger.js';
import type { OnInterval } from './policy.js';
import type { SilenceBook } from './silences.js';
import type { SirenConfigView } from './types.js';

/** One alarm of a zone: from a level reaching sound_at, a button press or new evidence. */
export interface Activation {
  start: number;
  /** Anchor of the on/off pattern (reset when a silence ends so sounding starts with an on-phase). */
  anchor: number;
  until: number;
  manual: boolean;
  cause: string;
}

export interface ZoneSlot {
  level: Level;
  activation?: Activation;
}

/** A siren sounding on an operator's order (`siren test`, the weekly self-test), not for a zone. */
export interface Override {
  kind: 'test' | 'self_test';
  until: number;
}

export interface SirenSlot {
  id: string;
  driver: SirenDriver;
  zones: string[];
  on: boolean;
  onZone: string | null;
  logId: number | null;
  intervals: OnInterval[];
  fault?: string;
  faults: number;
  override?: Override;
  /** `siren off` was given at this time: activations that started before it stay quiet for this siren. */
  mutedAt: number;
  /** Start of the activation the siren last sounded for (first on of an activation carries its cause). */
  lastActivation: number | null;
  pending: Promise<void>;
}

/** What one siren should be doing now. */
export interface Decision {
  on: boolean;
  zone: string | null;
  cause: string;
}

/** One siren to switch, with the zone it sounds (or sounded) for and why. */
export interface Switch {
  slot: SirenSlot;
  on: boolean;
  zone: string | null;
  cause: string;
}

/** Everything the controller knows, in memory; the pure parts read and update it. */
export interface SirenState {
  policy: SirenPolicy;
  zones: Map<string, ZoneSlot>;
  sirens: Map<string, SirenSlot>;
  silences: SilenceBook;
}

/**
 * Zones and sirens for `config`, keeping what carries over from `prev`: a zone keeps its level
 * and activation; a siren with the same driver instance keeps its slot (and keeps sounding); one
 * with a new driver starts off, keeping its finished on-time and its operator's off.
 */
export function buildSlots(
  config: SirenConfigView,
  drivers: Map<string, SirenDriver>,
  prev: Pick<SirenState, 'zones' | 'sirens'>,
  log: Logger,
): Pick<SirenState, 'zones' | 'sirens'> {
  const sirens = new Map<string, SirenSlot>();
  const zones = new Map<string, ZoneSlot>();
  for (const z of config.zones) zones.set(z.id, prev.zones.get(z.id) ?? { level: 'NORMAL' });
  for (const sc of config.sirens) {
    const driver = drivers.get(sc.id);
    if (!driver) {
      log.error({ siren: sc.id }, 'no driver for configured siren');
      continue;
    }
    const old = prev.sirens.get(sc.id);
    const sirenZones = config.zones.filter((z) => z.sirens.includes(sc.id)).map((z) => z.id);
    if (old && old.driver === driver) {
      old.zones = sirenZones;
      sirens.set(sc.id, old);
    } else {
      sirens.set(sc.id, {
        id: sc.id,
        driver,
        zones: sirenZones,
        on: false,
        onZone: null,
        logId: null,
        intervals: old ? carriedOver(old.intervals) : [],
        faults: 0,
        mutedAt: old?.mutedAt ?? Number.NEGATIVE_INFINITY,
        lastActivation: null,
        pending: Promise.resolve(),
      });
    }
  }
  return { zones, sirens };
}

/** In-memory part of a switch (no I/O besides the driver call already made). */
export function recordSwitch(sw: Switch, zones: ReadonlyMap<string, ZoneSlot>, now: number): void {
  const { slot } = sw;
  slot.on = sw.on;
  if (sw.on) {
    slot.onZone = sw.zone;
    openInterval(slot.intervals, now);
    const a = sw.zone ? zones.get(sw.zone)?.activation : undefined;
    if (a && sw.cause !== 'test' && sw.cause !== 'self_test') slot.lastActivation = a.start;
  } else {
    slot.onZone = null;
    closeIntervals(slot.intervals, now);
  }
}
