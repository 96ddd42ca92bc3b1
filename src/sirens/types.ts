import type { Config } from '../config/schema.js';
import type { SirenStore } from '../store/silences.js';

/** The parts of the config the siren controller reads. */
export type SirenConfigView = Pick<Config, 'sirens' | 'zones' | 'siren_policy'>;

/** setTimeout/clearTimeout, injectable so tests drive the controller with a manual clock. */
export interface SirenTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const defaultTimers: SirenTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** The parts of `SirenStore` the controller uses (tests may wrap it to watch call order). */
export type SirenStorePort = Pick<
  SirenStore,
  'silences' | 'setSilence' | 'deleteSilence' | 'openLog' | 'closeLog' | 'openLogs' | 'logsSince'
>;
