import type { Logger } from 'pino';
import type { Config, SirenPolicy } from '../config/schema.js';
import type { EngineOutput } from '../detect/types.js';
import {
  type Clock,
  type EventFields,
  type EventKind,
  type EventSink,
  type Level,
  levelRank,
  SirenError,
  UsageError,
} from '../domain/index.js';
import type { Silence, SirenStore } from '../store/silences.js';
import type { SirenCheck, SirenDriver } from './driver.js';
import {
  activationDeadline,
  budgetCapMs,
  budgetFreeAt,
  clampSilenceMinutes,
  HOUR_MS,
  MIN_SLICE_MS,
  type OnInterval,
  onMsInWindow,
  patternAt,
  pruneIntervals,
  soundsAt,
} from './policy.js';

export type SirenConfigView = Pick<Config, 'sirens' | 'zones' | 'siren_policy'>;

/** setTimeout/clearTimeout, injectable so tests drive the controller with a manual clock. */
export interface SirenTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The parts of `SirenStore` the controller uses (tests may wrap it to watch call order). */
export type SirenStorePort = Pick<
  SirenStore,
  'silences' | 'setSilence' | 'deleteSilence' | 'openLog' | 'closeLog' | 'openLogs' | 'logsSince'
>;

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

export interface SelfTestResult {
  siren: string;
  ok: boolean;
  skipped?: 'busy' | 'budget';
  fault?: string;
}

interface Activation {
  start: number;
  /** Anchor of the on/off pattern (reset when a silence ends so sounding starts with an on-phase). */
  anchor: number;
  until: number;
  manual: boolean;
  cause: string;
}

interface ZoneSlot {
  level: Level;
  activation?: Activation;
}

interface Override {
  kind: 'test' | 'self_test';
  until: number;
}

interface SirenSlot {
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

interface Decision {
  on: boolean;
  zone: string | null;
  cause: string;
}

interface Switch {
  slot: SirenSlot;
  on: boolean;
  zone: string | null;
  cause: string;
}

const defaultTimers: SirenTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * Decides, per zone, when the local sirens sound (behaviour.md, Sirens) and switches them
 * through their drivers. Timing is "reconcile" style: every input (level change, retrigger,
 * silence, timer) updates state, then `reconcile` computes what each siren should be doing now,
 * switches the ones that differ and arms one timer for the next moment anything changes.
 *
 * The path level change → `driver.on()` is synchronous: drivers are called before any event is
 * emitted or row written. Each driver call is time-boxed; a throwing or hanging driver becomes a
 * `siren_fault` event and never delays the other sirens. SQLite failures are logged and ignored:
 * sirens keep working from memory (behaviour.md, disk full).
 */
export class SirenController {
  private policy: SirenPolicy;
  private readonly clock: Clock;
  private readonly events: EventSink;
  private readonly store: SirenStorePort;
  private readonly log: Logger;
  private readonly timers: SirenTimers;
  private readonly callTimeoutMs: number;
  private sirens = new Map<string, SirenSlot>();
  private zones = new Map<string, ZoneSlot>();
  private silenced = new Map<string, Silence>();
  private timer: unknown;
  private started = false;
  private stopped = false;

  constructor(deps: SirenControllerDeps) {
    this.policy = deps.config.siren_policy;
    this.clock = deps.clock;
    this.events = deps.events;
    this.store = deps.store;
    this.log = deps.log;
    this.timers = deps.timers ?? defaultTimers;
    this.callTimeoutMs = deps.callTimeoutMs ?? 5000;
    this.applyConfig(deps.config, deps.drivers);
  }

  /**
   * Safe start: every siren is commanded OFF first (awaited, time-boxed), then silences and the
   * last hour's on-time are rebuilt from SQLite. Resolves when the sirens are confirmed off.
   */
  async start(): Promise<void> {
    await Promise.all([...this.sirens.values()].map((s) => this.call(s, 'off', null)));
    const now = this.clock.now();
    const maxRun = this.policy.max_activation_s * 1000;
    this.tryStore('close open siren_log rows', () => {
      for (const row of this.store.openLogs()) {
        // The gateway died with this siren on; it was on at most until now, and under live control
        // never longer than one activation: count that much against the budget, not a whole outage.
        const end = Math.max(row.onTs, Math.min(now, row.onTs + maxRun));
        this.store.closeLog(row.id, end);
        this.emit('siren_off', { siren: row.siren, zone: row.zone, cause: 'safe_start' });
      }
    });
    this.tryStore('read silences', () => {
      for (const s of this.store.silences()) {
        if (s.until > now) this.silenced.set(s.zone, s);
        else this.store.deleteSilence(s.zone);
      }
    });
    this.tryStore('read siren_log', () => {
      for (const r of this.store.logsSince(now - HOUR_MS)) {
        const slot = this.sirens.get(r.siren);
        if (slot) slot.intervals.push({ start: r.onTs, end: r.offTs ?? now });
      }
    });
    this.started = true;
    this.reconcile(now);
  }

  /** Re-evaluation after the engine restored its state: zones at or above sound_at start sounding. */
  evaluate(levels: ReadonlyMap<string, Level> | Readonly<Record<string, Level>>): void {
    if (this.stopped) return;
    const now = this.clock.now();
    const entries = levels instanceof Map ? [...levels.entries()] : Object.entries(levels);
    for (const [zone, level] of entries) {
      const z = this.zones.get(zone);
      if (!z) continue;
      z.level = level;
      if (!soundsAt(level, this.policy)) delete z.activation;
      else if (!z.activation) z.activation = this.newActivation(now, false, 'restore');
    }
    this.reconcile(now, 'level');
  }

  /** Feeds what the detection engine decided for one reading or tick. Synchronous up to the driver calls. */
  onEngineOutput(out: Pick<EngineOutput, 'changes' | 'retriggered'>): void {
    if (this.stopped) return;
    const now = this.clock.now();
    let touched = false;
    for (const c of out.changes) {
      const z = this.zones.get(c.zone);
      if (!z) continue;
      touched = true;
      z.level = c.level;
      if (!soundsAt(c.level, this.policy)) {
        delete z.activation;
        continue;
      }
      const rising = c.manual || !soundsAt(c.prev, this.policy) || levelUp(c.prev, c.level);
      if (!rising) continue;
      const a = z.activation;
      if (a && now < a.until) {
        a.until = activationDeadline(this.policy, now);
        if (c.manual && !a.manual) {
          // A button press is a new alarm: it sounds through silence and through an operator's off.
          if (this.isSilenced(c.zone, now)) a.anchor = now;
          Object.assign(a, { manual: true, start: now, cause: 'manual' });
        }
      } else {
        z.activation = this.newActivation(now, c.manual, c.manual ? 'manual' : 'level');
      }
    }
    for (const zone of out.retriggered) {
      const z = this.zones.get(zone);
      if (!z || !soundsAt(z.level, this.policy)) continue;
      touched = true;
      const a = z.activation;
      if (a && now < a.until) a.until = activationDeadline(this.policy, now);
      else z.activation = this.newActivation(now, false, 'retrigger');
    }
    if (touched) this.reconcile(now, 'level');
  }

  /** Silences a zone for `minutes` (clamped to max_silence_min). Persisted; a sounding zone goes quiet. */
  silence(zone: string, minutes: number, by: string, reason?: string): Silence {
    const z = this.zone(zone);
    const now = this.clock.now();
    const min = clampSilenceMinutes(minutes, this.policy);
    const s: Silence = { zone, until: now + Math.round(min * 60_000), by, ...(reason ? { reason } : {}) };
    this.silenced.set(zone, s);
    // A technician silencing the zone also ends a manual alarm in progress; a new press sounds again.
    if (z.activation) z.activation.manual = false;
    this.reconcile(now, 'silence');
    this.tryStore('write silence', () => this.store.setSilence(s));
    this.emit('siren_silenced', { zone, until: s.until, by, minutes: min, ...(reason ? { reason } : {}) });
    return s;
  }

  /** Lifts a silence early. Returns false when the zone was not silenced. */
  unsilence(zone: string, by: string): boolean {
    const z = this.zone(zone);
    const now = this.clock.now();
    if (!this.silenced.delete(zone)) return false;
    if (z.activation) z.activation.anchor = now;
    this.reconcile(now);
    this.tryStore('delete silence', () => this.store.deleteSilence(zone));
    this.emit('siren_silenced', { zone, until: now, by, cleared: true });
    return true;
  }

  /**
   * Sounds one siren for `seconds` (default self_test_s, at most max_activation_s) regardless of
   * silence, within the hard cap of 2 × max_on_s_per_hour. Resolves when the siren is on.
   */
  async test(sirenId: string, seconds?: number): Promise<void> {
    const slot = this.siren(sirenId);
    const now = this.clock.now();
    const s = Math.min(Math.max(seconds ?? this.policy.self_test_s, 0.1), this.policy.max_activation_s);
    slot.override = { kind: 'test', until: now + s * 1000 };
    this.reconcile(now);
    if (!slot.on) {
      delete slot.override;
      throw new SirenError(sirenId, `siren ${sirenId} has used its hourly on-time; try later`);
    }
    return slot.pending;
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
    return wasOn && !slot.on ? slot.pending : this.call(slot, 'off', null);
  }

  /** Each idle siren sounds self_test_s, goes off and is checked; one `siren_test` event each. */
  async selfTest(): Promise<SelfTestResult[]> {
    const now = this.clock.now();
    const results = new Map<string, SelfTestResult>();
    const tested: { slot: SirenSlot; faults: number }[] = [];
    for (const slot of this.sirens.values()) {
      if (slot.on || slot.override || this.decide(slot, now, []).on) {
        results.set(slot.id, { siren: slot.id, ok: true, skipped: 'busy' });
        continue;
      }
      slot.override = { kind: 'self_test', until: now + this.policy.self_test_s * 1000 };
      tested.push({ slot, faults: slot.faults });
    }
    this.reconcile(now);
    for (const t of tested) {
      if (!t.slot.on) {
        delete t.slot.override;
        results.set(t.slot.id, { siren: t.slot.id, ok: false, skipped: 'budget' });
      }
    }
    const running = tested.filter((t) => t.slot.override);
    if (running.length > 0) {
      await new Promise<void>((r) => this.timers.setTimeout(r, this.policy.self_test_s * 1000));
      this.reconcile(this.clock.now());
      await Promise.all(running.map((t) => t.slot.pending));
      await Promise.all(
        running.map(async (t) => {
          const check = await this.check(t.slot);
          const ok = check.ok && t.slot.faults === t.faults;
          const fault = check.fault ?? (ok ? undefined : t.slot.fault);
          results.set(t.slot.id, { siren: t.slot.id, ok, ...(fault ? { fault } : {}) });
        }),
      );
    }
    const out = [...this.sirens.keys()].map((id) => results.get(id) ?? { siren: id, ok: false });
    for (const r of out) this.emit('siren_test', { ...r });
    return out;
  }

  /** Shutdown (SIGTERM/SIGINT): every siren OFF, then drivers closed. The controller stays stopped. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.disarm();
    const now = this.clock.now();
    const slots = [...this.sirens.values()];
    const switches: Switch[] = [];
    const offs = slots.map((s) => {
      delete s.override;
      const sw: Switch = { slot: s, on: false, zone: s.onZone, cause: 'shutdown' };
      const p = this.call(s, 'off', s.onZone);
      if (s.on) {
        this.recordSwitch(sw, now);
        switches.push(sw);
      }
      return p;
    });
    for (const sw of switches) this.finishSwitch(sw, now);
    await Promise.all(offs);
    await Promise.all(slots.map((s) => this.closeDriver(s.driver)));
  }

  /** Per-siren status for `siaga status`. */
  state(): SirenStatus[] {
    const now = this.clock.now();
    return [...this.sirens.values()].map((s) => {
      let silencedUntil: number | undefined;
      for (const z of s.zones) {
        const sil = this.silenced.get(z);
        if (sil && sil.until > now) silencedUntil = Math.max(silencedUntil ?? 0, sil.until);
      }
      return {
        id: s.id,
        on: s.on,
        zone: s.on ? s.onZone : null,
        ...(s.fault ? { fault: s.fault } : {}),
        onSecondsLastHour: onMsInWindow(s.intervals, now) / 1000,
        ...(silencedUntil !== undefined ? { silencedUntil } : {}),
      };
    });
  }

  /** Active silences, for status. */
  silences(): Silence[] {
    const now = this.clock.now();
    return [...this.silenced.values()].filter((s) => s.until > now);
  }

  /**
   * Applies a reloaded config. Pass the same driver instance for a siren whose config did not
   * change: it keeps sounding without a toggle. A siren that disappeared or got a new driver
   * instance is switched off through its old driver (if on) and the old driver is closed.
   */
  reconfigure(config: SirenConfigView, drivers: Map<string, SirenDriver>): void {
    const now = this.clock.now();
    for (const slot of this.sirens.values()) {
      if (drivers.get(slot.id) === slot.driver) continue;
      delete slot.override;
      if (slot.on) {
        const sw: Switch = { slot, on: false, zone: slot.onZone, cause: 'reconfigure' };
        const old = slot.driver;
        const p = this.call(slot, 'off', slot.onZone);
        this.recordSwitch(sw, now);
        this.finishSwitch(sw, now);
        void p.then(() => this.closeDriver(old));
      } else {
        void this.closeDriver(slot.driver);
      }
    }
    this.policy = config.siren_policy;
    this.applyConfig(config, drivers);
    this.reconcile(now);
  }

  // ——— internals ———

  private applyConfig(config: SirenConfigView, drivers: Map<string, SirenDriver>): void {
    const oldSirens = this.sirens;
    const oldZones = this.zones;
    this.sirens = new Map();
    this.zones = new Map();
    for (const z of config.zones) this.zones.set(z.id, oldZones.get(z.id) ?? { level: 'NORMAL' });
    for (const sc of config.sirens) {
      const driver = drivers.get(sc.id);
      if (!driver) {
        this.log.error({ siren: sc.id }, 'no driver for configured siren');
        continue;
      }
      const old = oldSirens.get(sc.id);
      const zones = config.zones.filter((z) => z.sirens.includes(sc.id)).map((z) => z.id);
      if (old && old.driver === driver) {
        old.zones = zones;
        this.sirens.set(sc.id, old);
      } else {
        this.sirens.set(sc.id, {
          id: sc.id,
          driver,
          zones,
          on: false,
          onZone: null,
          logId: null,
          intervals: old ? old.intervals.filter((iv) => iv.end !== null) : [],
          faults: 0,
          mutedAt: old?.mutedAt ?? Number.NEGATIVE_INFINITY,
          lastActivation: null,
          pending: Promise.resolve(),
        });
      }
    }
  }

  private newActivation(now: number, manual: boolean, cause: string): Activation {
    return { start: now, anchor: now, until: activationDeadline(this.policy, now), manual, cause };
  }

  private isSilenced(zone: string, now: number): boolean {
    const s = this.silenced.get(zone);
    return s !== undefined && s.until > now;
  }

  /** What one siren should be doing at `now`; pushes the times its answer may change to `wakes`. */
  private decide(slot: SirenSlot, now: number, wakes: number[]): Decision {
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
        const a = this.zones.get(zone)?.activation;
        if (!a || now >= a.until) continue;
        wakes.push(a.until);
        if (a.start <= slot.mutedAt) {
          sawMuted = true;
          continue;
        }
        if (!a.manual && this.isSilenced(zone, now)) {
          sawSilence = true;
          continue;
        }
        const p = patternAt(this.policy, a.anchor, now);
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
    const cap = budgetCapMs(this.policy, want.manual);
    const used = onMsInWindow(slot.intervals, now);
    if (slot.on ? used < cap : used + MIN_SLICE_MS <= cap) {
      // On now or about to be: the budget runs out at this time at the latest.
      wakes.push(now + (cap - used));
      return { on: true, zone: want.zone, cause: want.cause };
    }
    if (!slot.on) wakes.push(budgetFreeAt(slot.intervals, now, cap, MIN_SLICE_MS));
    return { on: false, zone: null, cause: 'budget' };
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
    const expired: Silence[] = [];
    for (const [zone, s] of this.silenced) {
      if (s.until > now) {
        wakes.push(s.until);
        continue;
      }
      this.silenced.delete(zone);
      expired.push(s);
      const a = this.zones.get(zone)?.activation;
      if (a) a.anchor = now;
    }
    const ended = new Set<string>();
    for (const [id, z] of this.zones) {
      if (z.activation && now >= z.activation.until) {
        delete z.activation;
        ended.add(id);
      }
    }

    const switches: Switch[] = [];
    for (const slot of this.sirens.values()) {
      const d = this.decide(slot, now, wakes);
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
    // Hardware first: this is the latency-critical path.
    for (const sw of switches) {
      void this.call(sw.slot, sw.on ? 'on' : 'off', sw.zone);
      this.recordSwitch(sw, now);
    }
    for (const sw of switches) this.finishSwitch(sw, now);
    for (const s of expired) {
      this.tryStore('delete silence', () => this.store.deleteSilence(s.zone));
      this.emit('siren_silenced', { zone: s.zone, until: s.until, by: s.by, expired: true });
    }
    for (const slot of this.sirens.values()) slot.intervals = pruneIntervals(slot.intervals, now);
    this.arm(now, wakes);
  }

  /** In-memory part of a switch (no I/O besides the driver call already made). */
  private recordSwitch(sw: Switch, now: number): void {
    const { slot } = sw;
    slot.on = sw.on;
    if (sw.on) {
      slot.onZone = sw.zone;
      slot.intervals.push({ start: now, end: null });
      const a = sw.zone ? this.zones.get(sw.zone)?.activation : undefined;
      if (a && sw.cause !== 'test' && sw.cause !== 'self_test') slot.lastActivation = a.start;
    } else {
      slot.onZone = null;
      for (const iv of slot.intervals) if (iv.end === null) iv.end = now;
    }
  }

  /** Event and siren_log row of a switch: after every driver of this round was called. */
  private finishSwitch(sw: Switch, now: number): void {
    const { slot } = sw;
    this.emit(sw.on ? 'siren_on' : 'siren_off', { siren: slot.id, zone: sw.zone, cause: sw.cause });
    if (sw.on) {
      this.tryStore('write siren_log', () => {
        slot.logId = this.store.openLog(slot.id, sw.zone, now, sw.cause);
      });
    } else if (slot.logId !== null) {
      const id = slot.logId;
      slot.logId = null;
      this.tryStore('write siren_log', () => this.store.closeLog(id, now));
    }
  }

  private arm(now: number, wakes: number[]): void {
    this.disarm();
    let next = Number.POSITIVE_INFINITY;
    for (const w of wakes) if (w > now && w < next) next = w;
    if (!Number.isFinite(next)) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.reconcile(this.clock.now());
    }, next - now);
  }

  private disarm(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Calls the driver now (synchronously), time-boxed; never rejects — failures become faults. */
  private call(slot: SirenSlot, op: 'on' | 'off', zone: string | null): Promise<void> {
    const driver = slot.driver;
    let p: Promise<void>;
    try {
      p = op === 'on' ? driver.on() : driver.off();
    } catch (e) {
      p = Promise.reject(e);
    }
    const done = this.timeBox(p, slot.id, `${op}()`).then(
      () => {
        if (slot.driver === driver) delete slot.fault;
      },
      (e: unknown) => this.fault(slot, op, e, zone),
    );
    slot.pending = done;
    return done;
  }

  private async check(slot: SirenSlot): Promise<SirenCheck> {
    try {
      const c = await this.timeBox(slot.driver.check(), slot.id, 'check()');
      if (!c.ok) this.fault(slot, 'check', new SirenError(slot.id, c.fault ?? 'check failed'), null);
      return c;
    } catch (e) {
      this.fault(slot, 'check', e, null);
      return { on: null, ok: false, fault: errorText(e) };
    }
  }

  private timeBox<T>(p: Promise<T>, siren: string, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const h = this.timers.setTimeout(
        () => reject(new SirenError(siren, `${what} did not answer within ${this.callTimeoutMs} ms`)),
        this.callTimeoutMs,
      );
      p.then(
        (v) => {
          this.timers.clearTimeout(h);
          resolve(v);
        },
        (e: unknown) => {
          this.timers.clearTimeout(h);
          reject(e);
        },
      );
    });
  }

  private fault(slot: SirenSlot, op: string, e: unknown, zone: string | null): void {
    const msg = errorText(e);
    slot.faults++;
    this.log.warn({ siren: slot.id, op, err: msg }, 'siren driver failed');
    // One event per new fault, not one per pattern toggle of a siren that stays broken.
    if (slot.fault === msg) return;
    slot.fault = msg;
    this.emit('siren_fault', { siren: slot.id, zone, op, error: msg });
  }

  private async closeDriver(d: SirenDriver): Promise<void> {
    try {
      await this.timeBox(d.close(), d.id, 'close()');
    } catch (e) {
      this.log.warn({ siren: d.id, err: errorText(e) }, 'siren driver did not close cleanly');
    }
  }

  private emit(kind: EventKind, fields: EventFields): void {
    try {
      this.events.emit(kind, fields);
    } catch (e) {
      this.log.error({ kind, err: errorText(e) }, 'cannot record siren event');
    }
  }

  private tryStore(what: string, f: () => void): void {
    try {
      f();
    } catch (e) {
      this.log.error({ err: errorText(e) }, `siren store: cannot ${what}; continuing from memory`);
    }
  }

  private zone(zone: string): ZoneSlot {
    const z = this.zones.get(zone);
    if (!z) throw new UsageError(`unknown zone "${zone}"`);
    return z;
  }

  private siren(id: string): SirenSlot {
    const s = this.sirens.get(id);
    if (!s) throw new SirenError(id, `unknown siren "${id}"`);
    return s;
  }
}

function levelUp(prev: Level, level: Level): boolean {
  return levelRank(level) > levelRank(prev);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
