import type { SirenPolicy } from '../../src/config/schema.js';
import type { LevelChange } from '../../src/detect/types.js';
import type { Level, ManualClock } from '../../src/domain/index.js';
import { type SirenConfigView, SirenController, type SirenStorePort } from '../../src/sirens/controller.js';
import { RecordingEvents } from '../fakes/recording-events.js';
import { ManualTimers, type RecordingSiren } from '../fakes/recording-siren.js';
import { silentLog } from './log.js';

/** The example config's siren policy: 20 s on, 10 s off, at AWAS. */
export const TEST_SIREN_POLICY: SirenPolicy = {
  sound_at: 'AWAS',
  on_s: 20,
  off_s: 10,
  max_activation_s: 180,
  max_on_s_per_hour: 600,
  self_test_s: 2,
  max_silence_min: 240,
};

/** A siren config view from `{ zone: [siren ids] }`; every siren uses the print driver. */
export function sirenConfig(zones: Record<string, string[]>, policy: SirenPolicy = TEST_SIREN_POLICY) {
  const ids = [...new Set(Object.values(zones).flat())];
  return {
    sirens: ids.map((id) => ({ id, driver: 'print' as const })),
    zones: Object.entries(zones).map(([id, sirens], i) => ({
      id,
      name: `Zone ${i + 1}`,
      sirens,
      radius_m: 1500,
    })),
    siren_policy: policy,
  } satisfies SirenConfigView;
}

/** What the detection engine hands the controller when a zone changes level. */
export function levelChange(zone: string, level: Level, prev: Level, manual = false): LevelChange {
  return {
    zone,
    level,
    prev,
    manual,
    score: 100,
    nodes: [],
    reason: 'test',
    ts: 0,
    allClear: level === 'NORMAL',
  };
}

/**
 * A real SirenController over RecordingSirens under a manual clock: its timers are ManualTimers
 * on that clock and its events go to a RecordingEvents, so a test steps time and reads both.
 */
export function sirenRig(opts: {
  config: SirenConfigView;
  sirens: RecordingSiren[];
  clock: ManualClock;
  store: SirenStorePort;
  callTimeoutMs?: number;
  /** Timers of 2 ms or more fire this much before the clock reads their time, as Node's can. */
  earlyTimersMs?: number;
}) {
  const timers = new ManualTimers(opts.clock);
  const early = opts.earlyTimersMs ?? 0;
  const controllerTimers = {
    setTimeout: (fn: () => void, ms: number) => timers.setTimeout(fn, ms >= 2 ? ms - early : ms),
    clearTimeout: timers.clearTimeout,
  };
  const events = new RecordingEvents({ clock: opts.clock });
  const ctl = new SirenController({
    config: opts.config,
    drivers: new Map(opts.sirens.map((s) => [s.id, s])),
    clock: opts.clock,
    events,
    store: opts.store,
    log: silentLog,
    timers: controllerTimers,
    ...(opts.callTimeoutMs === undefined ? {} : { callTimeoutMs: opts.callTimeoutMs }),
  });
  return { ctl, events, timers };
}
