import type { EngineOutput } from '../detect/types.js';
import type { SirenDriver } from '../ports/siren-driver.js';
import { applyEngineOutput, endActivations } from '../sirens/alarm.js';
import { planSwitches } from '../sirens/decide.js';
import { pruneIntervals } from '../sirens/policy.js';
import { SilenceBook } from '../sirens/silences.js';
import { recordSwitch, type SirenState } from '../sirens/state.js';
import type { SirenConfigView } from '../sirens/types.js';

/** A siren switched on or off during a replay: what the real controller would have done. */
export interface SirenSwitch {
  ts: number;
  siren: string;
  on: boolean;
  /** The zone it sounds (or sounded) for. */
  zone: string | null;
  /** level, retrigger, manual, pattern, budget, max_activation… (the controller's causes). */
  cause: string;
}

/** Sirens are never driven in a replay: the decisions are recorded, not sent. */
const paper = (id: string): SirenDriver => ({
  id,
  on: async () => {},
  off: async () => {},
  check: async () => ({ on: null, ok: true }),
  close: async () => {},
});

/**
 * The siren controller's decisions without hardware, timers or a database: the same pure parts
 * (alarm, decide, ledger, pattern) fed by the engine's output on the replay's clock. `wakeAt()`
 * says when the caller must call `reconcile` next for the on/off pattern and budgets to be exact.
 * No silences: a replay asks what the sensors alone would have sounded.
 */
export class PaperSirens {
  private readonly st: SirenState;
  private next = Number.POSITIVE_INFINITY;
  readonly switches: SirenSwitch[] = [];
  /** Milliseconds each siren was on, summed over the replay. */
  readonly onMs = new Map<string, number>();
  private onSince = new Map<string, number>();

  constructor(config: SirenConfigView) {
    this.st = {
      policy: config.siren_policy,
      zones: new Map(),
      sirens: new Map(),
      silences: new SilenceBook(),
    };
    for (const z of config.zones) this.st.zones.set(z.id, { level: 'NORMAL' });
    for (const s of config.sirens) {
      this.st.sirens.set(s.id, {
        id: s.id,
        driver: paper(s.id),
        zones: config.zones.filter((z) => z.sirens.includes(s.id)).map((z) => z.id),
        on: false,
        onZone: null,
        logId: null,
        intervals: [],
        faults: 0,
        mutedAt: Number.NEGATIVE_INFINITY,
        lastActivation: null,
        pending: Promise.resolve(),
      });
      this.onMs.set(s.id, 0);
    }
  }

  /** Earliest moment the sirens' state may change without new input. */
  wakeAt(): number {
    return this.next;
  }

  /** Whether any siren is on or any zone's alarm is still running. */
  busy(): boolean {
    return Number.isFinite(this.next);
  }

  onEngineOutput(out: Pick<EngineOutput, 'changes' | 'retriggered' | 'pressed'>, now: number): void {
    if (applyEngineOutput(this.st, out, now)) this.reconcile(now, 'level');
  }

  /** Brings every siren to what the policy says at `now` (the controller's reconcile, minus I/O). */
  reconcile(now: number, hint?: string): void {
    const wakes: number[] = [];
    const ended = endActivations(this.st.zones, now);
    for (const sw of planSwitches(this.st, now, wakes, ended, hint)) {
      if (sw.slot.on === sw.on) continue;
      recordSwitch(sw, this.st.zones, now);
      const id = sw.slot.id;
      if (sw.on) this.onSince.set(id, now);
      else this.closeRun(id, now);
      this.switches.push({ ts: now, siren: id, on: sw.on, zone: sw.zone, cause: sw.cause });
    }
    for (const slot of this.st.sirens.values()) slot.intervals = pruneIntervals(slot.intervals, now);
    let next = Number.POSITIVE_INFINITY;
    for (const w of wakes) if (w > now && w < next) next = w;
    this.next = next;
  }

  /** Counts the on-time of sirens still on at `now` (the end of the replay) without switching them. */
  settle(now: number): void {
    for (const id of [...this.onSince.keys()]) this.closeRun(id, now);
  }

  private closeRun(id: string, now: number): void {
    const since = this.onSince.get(id);
    if (since === undefined) return;
    this.onSince.delete(id);
    this.onMs.set(id, (this.onMs.get(id) ?? 0) + (now - since));
  }
}
