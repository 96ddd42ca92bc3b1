import type { Logger } from 'pino';
import type { EngineOutput } from '../detect/types.js';
import { type Clock, type EventSink, type Level, SirenError, UsageError } from '../domain/index.js';
import type { SirenDriver } from '../ports/siren-driver.js';
import type { Silence } from '../store/silences.js';
import { applyEngineOutput, endActivations, reanchor, restoreLevels } from './alarm.js';
import { DriverCalls } from './calls.js';
import { planSwitches } from './decide.js';
import { pruneIntervals } from './policy.js';
import { SirenRecords } from './records.js';
import { restoreFromStore } from './restore.js';
import { finishSirenTest, runSelfTest, type SelfTestResult, type SirenTestResult } from './self-test.js';
import { newSilence, SilenceBook } from './silences.js';
import {
  buildSlots,
  recordSwitch,
  type SirenSlot,
  type SirenState,
  type Switch,
  type ZoneSlot,
} from './state.js';
import { type SirenStatus, sirenStatus } from './status.js';
import { defaultTimers, type SirenConfigView, type SirenStorePort, type SirenTimers } from './types.js';
import { WakeTimer } from './wake.js';

export type { SelfTestResult, SirenTestResult } from './self-test.js';
export type { SirenStatus } from './status.js';
export type { SirenConfigView, SirenStorePort, SirenTimers } from './types.js';

export interface SirenControllerDeps {
  config: SirenConfigView;
  drivers: Map<string, SirenDriver>;
  clock: Clock;
  events: EventSink;
  store: SirenStorePort;
  log: Logger;
  timers?: SirenTimers;
  /** Longest a single driver call may take before it counts as a fault (default 5000 ms). */
  callTimeoutMs?: number;
}

/**
 * Decides, per zone, when the local sirens sound (docs/behaviour.md, Sirens) and switches them
 * through their drivers. Timing is "reconcile" style: every input (level change, retrigger,
 * silence, timer) updates state, then `reconcile` computes what each siren should be doing now,
 * switches the ones that differ and arms one timer for the next moment anything changes.
 *
 * The path level change → `driver.on()` is synchronous: drivers are called before any event is
 * emitted or row written. Each driver call is time-boxed; a throwing or hanging driver becomes a
 * `siren_fault` event and never delays the other sirens. SQLite failures are logged and ignored:
 * sirens keep working from memory (docs/behaviour.md, disk full).
 */
export class SirenController {
  private readonly st: SirenState;
  private readonly clock: Clock;
  private readonly records: SirenRecords;
  private readonly calls: DriverCalls;
  private readonly log: Logger;
  private readonly timers: SirenTimers;
  private readonly wake: WakeTimer;
  private started = false;
  private stopped = false;

  constructor(deps: SirenControllerDeps) {
    this.clock = deps.clock;
    this.log = deps.log;
    this.timers = deps.timers ?? defaultTimers;
    this.records = new SirenRecords(deps.events, deps.store, deps.log);
    this.wake = new WakeTimer(this.timers, () => this.reconcile(this.clock.now()));
    this.calls = new DriverCalls(this.timers, deps.callTimeoutMs ?? 5000, this.records, deps.log);
    this.st = {
      policy: deps.config.siren_policy,
      zones: new Map(),
      sirens: new Map(),
      silences: new SilenceBook(),
    };
    this.applyConfig(deps.config, deps.drivers);
  }

  /**
   * Safe start: every siren is commanded OFF first (awaited, time-boxed), then silences and the
   * last hour's on-time are rebuilt from SQLite. Resolves when the sirens are confirmed off.
   */
  async start(): Promise<void> {
    await Promise.all([...this.st.sirens.values()].map((s) => this.calls.call(s, 'off', null)));
    const now = this.clock.now();
    restoreFromStore(this.st, this.records, now);
    this.started = true;
    this.reconcile(now);
  }

  /** Re-evaluation after the engine restored its state: zones at or above sound_at start sounding. */
  evaluate(levels: ReadonlyMap<string, Level> | Readonly<Record<string, Level>>): void {
    if (this.stopped) return;
    const now = this.clock.now();
    restoreLevels(this.st, levels instanceof Map ? [...levels.entries()] : Object.entries(levels), now);
    this.reconcile(now, 'level');
  }

  /** Feeds what the detection engine decided for one reading or tick. Synchronous up to the driver calls. */
  onEngineOutput(out: Pick<EngineOutput, 'changes' | 'retriggered' | 'pressed'>): void {
    if (this.stopped) return;
    const now = this.clock.now();
    if (applyEngineOutput(this.st, out, now)) this.reconcile(now, 'level');
  }

  /** Silences a zone for `minutes` (clamped to max_silence_min). Persisted; a sounding zone goes quiet. */
  silence(zone: string, minutes: number, by: string, reason?: string): Silence {
    const z = this.zone(zone);
    const now = this.clock.now();
    const { silence: s, minutes: min } = newSilence(zone, minutes, by, reason, now, this.st.policy);
    this.st.silences.set(s);
    // A technician silencing the zone also ends a manual alarm in progress; a new press sounds again.
    if (z.activation) z.activation.manual = false;
    this.reconcile(now, 'silence');
    this.records.silenceSet(s, min);
    return s;
  }

  /** Lifts a silence early. Returns false when the zone was not silenced. */
  unsilence(zone: string, by: string): boolean {
    this.zone(zone);
    const now = this.clock.now();
    if (!this.st.silences.delete(zone)) return false;
    reanchor(this.st.zones, zone, now);
    this.reconcile(now);
    this.records.silenceEnded(zone, { until: now, by, cleared: true });
    return true;
  }

  /**
   * Sounds one siren for `seconds` (default self_test_s, at most max_activation_s) regardless of
   * silence, within the hard cap of 2 × max_on_s_per_hour. Resolves when the siren is on.
   */
  async test(sirenId: string, seconds?: number): Promise<void> {
    const slot = this.siren(sirenId);
    const now = this.clock.now();
    const { policy } = this.st;
    const s = Math.min(Math.max(seconds ?? policy.self_test_s, 0.1), policy.max_activation_s);
    slot.override = { kind: 'test', until: now + s * 1000 };
    this.reconcile(now);
    if (!slot.on) {
      delete slot.override;
      throw new SirenError(sirenId, `siren ${sirenId} has used its hourly on-time; try later`);
    }
    return slot.pending;
  }

  /** `siaga siren test`: on, sound `seconds`, off, check; resolves with each step's outcome. */
  async testSteps(sirenId: string, seconds?: number, by?: string): Promise<SirenTestResult> {
    const slot = this.siren(sirenId);
    const before = slot.faults;
    const start = this.clock.now();
    await this.test(sirenId, seconds);
    const override = slot.override;
    const until = override?.until ?? start;
    const { st, clock, timers, calls, records } = this;
    const host = { st, clock, timers, calls, records, reconcile: (now: number) => this.reconcile(now) };
    return finishSirenTest(
      host,
      slot,
      {
        waitMs: Math.max(until - clock.now(), 0),
        seconds: Math.round((until - start) / 100) / 10,
        ...(override ? { override } : {}),
      },
      before,
      by,
    );
  }

  /**
   * Switches one siren off now (always sent to the hardware). It stays quiet for the alarms in
   * progress; a new alarm (a zone newly reaching sound_at, a button press) sounds it again.
   */
  async off(sirenId: string): Promise<void> {
    const slot = this.siren(sirenId);
    const now = this.clock.now();
    delete slot.override;
    slot.mutedAt = now;
    const wasOn = slot.on;
    this.reconcile(now, 'off');
    // Already off as far as we know: send OFF anyway, the operator wants to be sure.
    return wasOn && !slot.on ? slot.pending : this.calls.call(slot, 'off', null);
  }

  /** Each idle siren sounds self_test_s, goes off and is checked; one `siren_test` event each. */
  selfTest(): Promise<SelfTestResult[]> {
    const { st, clock, timers, calls, records } = this;
    return runSelfTest({ st, clock, timers, calls, records, reconcile: (now) => this.reconcile(now) });
  }

  /** Shutdown (SIGTERM/SIGINT): every siren OFF, then drivers closed. The controller stays stopped. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake.disarm();
    const now = this.clock.now();
    const slots = [...this.st.sirens.values()];
    for (const s of slots) delete s.override;
    const offs = this.apply(
      slots.map((s) => ({ slot: s, on: false, zone: s.onZone, cause: 'shutdown' })),
      now,
    );
    await Promise.all(offs);
    await Promise.all(slots.map((s) => this.calls.close(s.driver)));
  }

  /** Per-siren status for `siaga status`. */
  state(): SirenStatus[] {
    const now = this.clock.now();
    return [...this.st.sirens.values()].map((s) => sirenStatus(s, this.st.silences, now));
  }

  /** Active silences, for status. */
  silences(): Silence[] {
    return this.st.silences.list(this.clock.now());
  }

  /**
   * Applies a reloaded config. Pass the same driver instance for a siren whose config did not
   * change: it keeps sounding without a toggle. A siren that disappeared or got a new driver
   * instance is switched off through its old driver (if on) and the old driver is closed.
   */
  reconfigure(config: SirenConfigView, drivers: Map<string, SirenDriver>): void {
    const now = this.clock.now();
    for (const slot of this.st.sirens.values()) {
      if (drivers.get(slot.id) === slot.driver) continue;
      delete slot.override;
      const old = slot.driver;
      if (slot.on) {
        const [off] = this.apply([{ slot, on: false, zone: slot.onZone, cause: 'reconfigure' }], now);
        void off?.then(() => this.calls.close(old));
      } else {
        void this.calls.close(old);
      }
    }
    this.st.policy = config.siren_policy;
    this.applyConfig(config, drivers);
    this.reconcile(now);
  }

  // ——— internals ———

  private applyConfig(config: SirenConfigView, drivers: Map<string, SirenDriver>): void {
    const { zones, sirens } = buildSlots(config, drivers, this.st, this.log);
    this.st.zones = zones;
    this.st.sirens = sirens;
  }

  /**
   * Brings every siren to what `decide` says. Drivers are called first, synchronously, for all
   * switching sirens; events and SQLite rows follow. `hint` names the off cause when the input
   * itself explains it (the level dropped, an operator's off).
   */
  private reconcile(now: number, hint?: string): void {
    if (!this.started || this.stopped) return;
    const wakes: number[] = [];
    // Expired silences: gone from memory now, from SQLite after the driver calls.
    const expired = this.st.silences.sweep(now, wakes);
    for (const s of expired) reanchor(this.st.zones, s.zone, now);
    const ended = endActivations(this.st.zones, now);
    // Hardware first: this is the latency-critical path.
    void this.apply(planSwitches(this.st, now, wakes, ended, hint), now);
    for (const s of expired) this.records.silenceEnded(s.zone, { until: s.until, by: s.by, expired: true });
    for (const slot of this.st.sirens.values()) slot.intervals = pruneIntervals(slot.intervals, now);
    this.wake.arm(now, wakes);
  }

  /**
   * Switches sirens: every driver is called first, synchronously and in order, and the in-memory
   * state of each siren that changes is updated with it; events and siren_log rows follow once all
   * drivers of the round were called. A command for the state a siren is already in is still sent
   * to the hardware (a safe OFF) but not recorded. Returns the driver calls (they never reject).
   */
  private apply(switches: Switch[], now: number): Promise<void>[] {
    const changed: Switch[] = [];
    const calls = switches.map((sw) => {
      const p = this.calls.call(sw.slot, sw.on ? 'on' : 'off', sw.zone);
      if (sw.slot.on !== sw.on) {
        recordSwitch(sw, this.st.zones, now);
        changed.push(sw);
      }
      return p;
    });
    for (const sw of changed) this.records.finishSwitch(sw, now);
    return calls;
  }

  private zone(zone: string): ZoneSlot {
    const z = this.st.zones.get(zone);
    if (!z) throw new UsageError(`unknown zone "${zone}"`);
    return z;
  }

  private siren(id: string): SirenSlot {
    const s = this.st.sirens.get(id);
    if (!s) throw new SirenError(id, `unknown siren "${id}"`);
    return s;
  }
}
