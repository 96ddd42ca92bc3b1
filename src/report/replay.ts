import { Escalation } from '../alerts/escalation.js';
import { IncidentBook } from '../alerts/incidents.js';
import type { Notification } from '../alerts/types.js';
import type { Config } from '../config/schema.js';
import { DetectionEngine } from '../detect/engine.js';
import type { EngineOutput, LevelChange } from '../detect/types.js';
import { ManualClock, type Reading } from '../domain/index.js';
import { PaperSirens, type SirenSwitch } from './replay-sirens.js';

export type { SirenSwitch } from './replay-sirens.js';

/** The parts of a config a replay runs: detection, its zones and nodes, sirens, and who is told. */
export type ReplayConfig = Pick<Config, 'detection' | 'zones' | 'nodes' | 'sirens' | 'siren_policy'> &
  Partial<Pick<Config, 'alerts'>>;

export interface ReplayOptions {
  /** The gateway ticks its engine every second; so does a replay, unless told otherwise. */
  tickMs?: number;
  /**
   * How long to carry on after the last reading, so levels can step down and sirens run out.
   * Default: one window plus three holds (AWAS → NORMAL) plus a minute.
   */
  tailMs?: number;
  /**
   * Count the SMS the escalation would send. Default: when `alerts.enabled` with a policy; the
   * detection bench turns it on for a config whose alerts are written but not yet switched on.
   */
  alerts?: boolean;
}

export interface ReplayResult {
  /** Readings fed to the engine. */
  readings: number;
  /** Readings of nodes this config does not know (they count for nothing, as in the gateway). */
  unknownNodes: number;
  /** First reading's ts and the end of the replay (epoch ms); both 0 when there was no reading. */
  from: number;
  to: number;
  changes: LevelChange[];
  sirens: SirenSwitch[];
  /** Seconds each siren would have sounded. */
  sirenSeconds: Record<string, number>;
  /** The SMS the escalation would have sent (empty unless `alerts.enabled` with a policy). */
  notifications: Notification[];
}

/**
 * Replays readings (in ts order) through the real detection engine, siren policy and alert
 * escalation on a clock of their own: what this config would have done on those nights. Pure
 * apart from the iteration of `readings`; a month of stored readings runs in seconds because
 * ticks while every zone is NORMAL change nothing and are skipped.
 */
export function replay(
  config: ReplayConfig,
  readings: Iterable<Reading>,
  opts: ReplayOptions = {},
): ReplayResult {
  const tickMs = opts.tickMs ?? 1000;
  const tailMs =
    opts.tailMs ?? (config.detection.window_s + 3 * config.detection.hold_s + 60) * 1000 + tickMs;
  const clock = new ManualClock(0);
  const res: ReplayResult = {
    readings: 0,
    unknownNodes: 0,
    from: 0,
    to: 0,
    changes: [],
    sirens: [],
    sirenSeconds: {},
    notifications: [],
  };
  const known = new Set(config.nodes.map((n) => n.id));
  let engine: DetectionEngine | undefined;
  const sirens = new PaperSirens(config);
  const alerts = config.alerts;
  const escalating = alerts !== undefined && alerts.policies.length > 0 && (opts.alerts ?? alerts.enabled);
  let serial = 0;
  const book = new IncidentBook({
    clock,
    newId: () => `replay-${String(++serial).padStart(6, '0')}`,
    // Codes need not be secret on paper; a fixed walk keeps replays reproducible.
    randomInt: () => 0,
  });
  const esc = escalating ? new Escalation(alerts, clock) : undefined;
  /** Zones above NORMAL: only they need ticks. */
  const raised = new Set<string>();
  let nextTick = Number.POSITIVE_INFINITY;

  const handle = (out: EngineOutput, now: number): void => {
    for (const c of out.changes) {
      res.changes.push(c);
      if (c.level === 'NORMAL') raised.delete(c.zone);
      else raised.add(c.zone);
      const ic = esc === undefined ? undefined : book.onLevel(c);
      if (ic !== undefined && esc !== undefined) res.notifications.push(...esc.apply(ic));
    }
    sirens.onEngineOutput(out, now);
  };

  /** Runs ticks, siren wakes and escalation steps due up to and including `until`. */
  const advance = (until: number): void => {
    for (;;) {
      const tick = raised.size > 0 ? nextTick : Number.POSITIVE_INFINITY;
      const t = Math.min(tick, sirens.wakeAt());
      if (t > until) break;
      clock.set(t);
      if (t === tick) {
        nextTick += tickMs;
        if (engine !== undefined) handle(engine.tick(), t);
        if (esc !== undefined) res.notifications.push(...esc.tick());
      }
      if (sirens.wakeAt() <= t) sirens.reconcile(t);
    }
  };

  for (const r of readings) {
    if (engine === undefined) {
      clock.set(r.ts);
      res.from = r.ts;
      nextTick = r.ts + tickMs;
      engine = new DetectionEngine({ config, clock });
    }
    if (!known.has(r.node)) {
      res.unknownNodes++;
      continue;
    }
    // Ticks are skipped while every zone is NORMAL; they resume on the gateway's 1 s grid.
    if (raised.size === 0 && nextTick < r.ts) nextTick += Math.ceil((r.ts - nextTick) / tickMs) * tickMs;
    advance(r.ts);
    // A late reading (a LoRa frame held up) is taken when it arrives, as the gateway does.
    clock.set(Math.max(clock.now(), r.ts));
    res.readings++;
    handle(engine.onReading(r), clock.now());
  }
  if (engine === undefined) return res;
  const end = clock.now() + tailMs;
  advance(end);
  clock.set(end);
  sirens.settle(end);
  res.to = end;
  res.sirens = sirens.switches;
  for (const [id, ms] of sirens.onMs) res.sirenSeconds[id] = Math.round(ms / 100) / 10;
  return res;
}
