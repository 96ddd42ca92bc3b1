import type { Config, DetectionConfig, NodeConfig, ZoneConfig } from '../config/schema.js';
import type { Clock, Level, Reading } from '../domain/index.js';
import { LEVELS, levelRank } from '../domain/index.js';
import { type Evidence, isFenceOk, scoreReading } from './evidence.js';
import { type ExternalEvidence, NEIGHBOUR_KEY, neighbourEvidence } from './external.js';
import { loweredChange, raisedChange } from './level-change.js';
import { roundScore } from './reason.js';
import type { EngineOutput, LevelChange, ZoneState } from './types.js';
import { fromMicro, toMicro, ZoneWindow } from './window.js';
import { ZoneScoring } from './zone-scoring.js';

/** The part of the config the engine reads. */
export type DetectionEngineConfig = Pick<Config, 'detection' | 'zones' | 'nodes'>;

export interface DetectionEngineDeps {
  config: DetectionEngineConfig;
  clock: Clock;
}

/** Level and time it was entered, as persisted by the store for a restart. */
export type SavedLevels = Record<string, { level: Level; since: number }>;

interface ZoneRt {
  cfg: ZoneConfig;
  win: ZoneWindow;
  level: Level;
  since: number;
  /** A panic button's AWAS is being held (until `manualUntil`, or a cancel). */
  manual: boolean;
  manualUntil: number;
  /** Since when the score has been below the current level's threshold; undefined when not. */
  belowSince: number | undefined;
}

const empty = (): EngineOutput => ({ changes: [], retriggered: [], notices: [] });

/**
 * What a reading that is no evidence gets: most readings are, and a fresh output each was four
 * allocations per reading (P1). Frozen, so a caller that tried to add to it would fail loudly.
 */
const NOTHING: EngineOutput = Object.freeze({
  changes: Object.freeze([]) as unknown as EngineOutput['changes'],
  retriggered: Object.freeze([]) as unknown as string[],
  notices: Object.freeze([]) as unknown as EngineOutput['notices'],
});

/**
 * Evidence → zone levels (docs/behaviour.md, Detection). Pure: no I/O and no timers; time comes
 * from the injected clock and the caller calls `tick()` about once a second.
 *
 * - Escalation happens only in `onReading`, immediately, possibly several levels at once.
 * - De-escalation happens only in `tick`, one level at a time, after the score has been below the
 *   current level's threshold for `hold_s` continuously; the hold then restarts for the next step.
 * - A panic button (btn p=1) raises AWAS at once and holds it for at least `hold_s`, unless a
 *   btn p=0 from the same zone cancels it.
 */
export class DetectionEngine {
  private readonly clock: Clock;
  private det!: DetectionConfig;
  private nodes = new Map<string, NodeConfig>();
  private zoneMap = new Map<string, ZoneRt>();
  private scoring!: ZoneScoring;
  private holdMs = 0;
  private windowMs = 0;

  constructor(deps: DetectionEngineDeps) {
    this.clock = deps.clock;
    this.apply(deps.config, new Map());
  }

  /** Scores one accepted reading into its zone; escalates at once when a threshold is crossed. */
  onReading(r: Reading): EngineOutput {
    const node = this.nodes.get(r.node);
    if (node === undefined) return NOTHING;
    const z = this.zoneMap.get(node.zone);
    if (z === undefined) return NOTHING;
    const ev = scoreReading(r, node, z.cfg, this.det);
    if (ev === undefined) {
      if (isFenceOk(r, this.det)) {
        const b = z.win.bucket(r.node);
        if (b !== undefined) b.fenceNotified = false;
      }
      return NOTHING;
    }
    const now = this.clock.now();
    const out = empty();
    out.evidence = true;
    this.evict(z, now);
    const before = this.scoreMicro(z);
    if (!this.admit(z, ev, now, out)) return out;
    const prev = z.level;
    const after = this.scoreMicro(z);
    const target = ev.manual === 'alarm' ? 'AWAS' : this.scoring.levelFor(after);
    if (levelRank(target) > levelRank(prev)) {
      out.changes.push(this.raise(z, target, now, ev.manual === 'alarm', ''));
    } else if (levelRank(prev) >= 1 && (after > before || ev.manual === 'alarm')) {
      out.retriggered.push(z.cfg.id);
      if (ev.manual === 'alarm') out.pressed = [...(out.pressed ?? []), z.cfg.id];
    }
    this.updateBelow(z, now);
    return out;
  }

  /** Evicts expired evidence and steps zones down one level whose hold has run out. */
  tick(): EngineOutput {
    const out = empty();
    const now = this.clock.now();
    for (const z of this.zoneMap.values()) {
      this.evict(z, now);
      if (z.manual && now >= z.manualUntil) z.manual = false;
      this.updateBelow(z, now);
      if (z.level === 'NORMAL' || z.manual || z.belowSince === undefined) continue;
      if (now - z.belowSince < this.holdMs) continue;
      const from = z.level;
      const rank = levelRank(from);
      const level = LEVELS[rank - 1] as Level;
      z.level = level;
      z.since = now;
      z.belowSince = undefined;
      this.updateBelow(z, now);
      const move = { zone: z.cfg.id, level, prev: from, now, manual: false };
      out.changes.push(loweredChange(this.scoring, z.win, move, this.det.hold_s));
    }
    return out;
  }

  /**
   * A neighbour's pre-alert in `zone`: replaces earlier evidence of the same source, counts like
   * any evidence inside the window, and with all neighbour evidence of the zone capped just
   * below SIAGA. It escalates like a reading but never re-triggers sirens.
   */
  external(zone: string, ev: ExternalEvidence): EngineOutput {
    const out = empty();
    const z = this.zoneMap.get(zone);
    if (z === undefined) return out;
    const now = this.clock.now();
    this.evict(z, now);
    z.win.remove(NEIGHBOUR_KEY, (e) => e.source !== ev.source);
    const ts = Math.min(ev.ts, now);
    if (z.win.isLive(ts, now)) {
      z.win.add(neighbourEvidence(ev, ts), ts, toMicro(ev.weight), this.scoring.neighbourCap);
      const target = this.scoring.levelFor(this.scoreMicro(z));
      if (levelRank(target) > levelRank(z.level)) out.changes.push(this.raise(z, target, now, false, ''));
    }
    this.updateBelow(z, now);
    return out;
  }

  /** A neighbour's all-clear: its evidence leaves every zone; levels step down by the usual hold. */
  withdraw(source: string): void {
    const now = this.clock.now();
    for (const z of this.zoneMap.values()) {
      this.evict(z, now);
      if (z.win.remove(NEIGHBOUR_KEY, (e) => e.source !== source)) this.updateBelow(z, now);
    }
  }

  /** Every configured zone, in config order (expired evidence is evicted first). */
  zones(): ZoneState[] {
    const now = this.clock.now();
    for (const z of this.zoneMap.values()) this.evict(z, now);
    return [...this.zoneMap.values()].map((z) => ({
      zone: z.cfg.id,
      level: z.level,
      score: roundScore(fromMicro(this.scoreMicro(z))),
      since: z.since,
      manual: z.manual,
    }));
  }

  /** Current level of a zone; undefined for a zone that is not configured. */
  level(zone: string): Level | undefined {
    return this.zoneMap.get(zone)?.level;
  }

  /** Current score of a zone, rounded to 0.1; undefined for a zone that is not configured. */
  score(zone: string): number | undefined {
    const z = this.zoneMap.get(zone);
    if (z === undefined) return undefined;
    this.evict(z, this.clock.now());
    return roundScore(fromMicro(this.scoreMicro(z)));
  }

  /**
   * Rebuilds state after a restart: starts from `levels` (as persisted), replays `readings`
   * (in ts order; those outside the window are ignored) without emitting anything per reading,
   * and returns the net result: one change per zone whose level the replay raised above the
   * saved one. Notices are not repeated. The hold of a restored level below its threshold
   * starts now (the engine cannot know when the score dropped, so it errs on the side of warning).
   * For the same reason a node's run of firing restarts with its replayed readings: a fence down
   * for hours counts as fresh for corroboration again until `fresh_s` has passed.
   */
  restore(readings: Reading[], levels?: SavedLevels): EngineOutput {
    const now = this.clock.now();
    this.apply(this.currentConfig(), new Map());
    for (const z of this.zoneMap.values()) {
      const saved = levels?.[z.cfg.id];
      if (saved !== undefined && (LEVELS as readonly string[]).includes(saved.level)) {
        z.level = saved.level;
        z.since = saved.since;
      }
    }
    const sorted = [...readings].sort((a, b) => a.ts - b.ts);
    const sink = empty();
    for (const r of sorted) {
      const node = this.nodes.get(r.node);
      const z = node === undefined ? undefined : this.zoneMap.get(node.zone);
      if (node === undefined || z === undefined) continue;
      const ev = scoreReading(r, node, z.cfg, this.det);
      if (ev === undefined) {
        if (isFenceOk(r, this.det)) {
          const b = z.win.bucket(r.node);
          if (b !== undefined) b.fenceNotified = false;
        }
        continue;
      }
      this.admit(z, ev, now, sink);
    }
    const out = empty();
    for (const z of this.zoneMap.values()) {
      z.win.evict(now);
      if (z.manual && now >= z.manualUntil) z.manual = false;
      const target = z.manual ? 'AWAS' : this.scoring.levelFor(this.scoreMicro(z));
      if (levelRank(target) > levelRank(z.level)) {
        out.changes.push(this.raise(z, target, now, z.manual, ' (restored after restart)'));
      }
      this.updateBelow(z, now);
    }
    return out;
  }

  /**
   * Applies a reloaded config: zones that still exist keep their level, hold and manual state,
   * and each node keeps its evidence (scored as it was: new weights apply to new readings) in
   * the zone it now belongs to; evidence of removed nodes, or of a node whose type changed, is
   * dropped. The new window and node_cap apply at once, and a zone whose score now justifies a
   * higher level (thresholds lowered) is raised at once.
   */
  reconfigure(config: DetectionEngineConfig): EngineOutput {
    const now = this.clock.now();
    const old = this.zoneMap;
    this.apply(config, old);
    for (const z of old.values()) {
      for (const b of z.win.buckets.values()) {
        const node = this.nodes.get(b.node);
        const target = node === undefined ? undefined : this.zoneMap.get(node.zone);
        if (node !== undefined && target !== undefined && node.type === b.type) target.win.adopt(b);
        const same = b.node === NEIGHBOUR_KEY ? this.zoneMap.get(z.cfg.id) : undefined;
        for (const i of same ? b.items() : []) same?.win.add(i.ev, i.ts, i.micro, this.scoring.neighbourCap);
      }
    }
    const out = empty();
    for (const z of this.zoneMap.values()) {
      z.win.evict(now);
      const target = this.scoring.levelFor(this.scoreMicro(z));
      if (levelRank(target) > levelRank(z.level)) {
        out.changes.push(this.raise(z, target, now, false, ' (after config reload)'));
      }
      this.updateBelow(z, now);
    }
    return out;
  }

  // ——— internals ———

  /**
   * Puts evidence into its zone's window (clock guard: time clamped to now, stale evidence
   * ignored) and applies its side effects: fence notice, manual alarm or cancel.
   * Returns false when the evidence was ignored.
   */
  private admit(z: ZoneRt, ev: Evidence, now: number, out: EngineOutput): boolean {
    const ts = Math.min(ev.ts, now);
    if (!z.win.isLive(ts, now)) return false;
    const b = z.win.add(ev, ts, toMicro(ev.score));
    if (ev.notice !== undefined && !b.fenceNotified) {
      b.fenceNotified = true;
      out.notices.push(ev.notice);
    }
    if (ev.manual === 'alarm') {
      z.manual = true;
      z.manualUntil = Math.max(z.manualUntil, ts + this.holdMs);
    } else if (ev.manual === 'cancel') {
      z.manual = false;
      z.manualUntil = Number.NEGATIVE_INFINITY;
    }
    return true;
  }

  /** Raises a zone to `level` and describes the change. */
  private raise(z: ZoneRt, level: Level, now: number, manual: boolean, suffix: string): LevelChange {
    const prev = z.level;
    z.level = level;
    z.since = now;
    z.belowSince = undefined;
    return raisedChange(this.scoring, z.win, { zone: z.cfg.id, level, prev, now, manual }, suffix);
  }

  /** Evicts expired evidence; the hold starts when the score fell below the level's threshold. */
  private evict(z: ZoneRt, now: number): void {
    if (z.level === 'NORMAL' || z.belowSince !== undefined) {
      z.win.evict(now);
      return;
    }
    const crossed = z.win.evictTracking(
      now,
      this.scoring.threshold(z.level),
      () => this.scoring.corroboration(z.win).micro - this.scoring.overKindCap(z.win),
    );
    if (crossed !== undefined) z.belowSince = crossed;
  }

  /** Starts or clears the de-escalation hold of a zone from its current score. */
  private updateBelow(z: ZoneRt, now: number): void {
    const t = this.scoring.threshold(z.level);
    if (z.level === 'NORMAL' || this.scoreMicro(z) >= t) z.belowSince = undefined;
    else if (z.belowSince === undefined) z.belowSince = now;
  }

  private scoreMicro(z: ZoneRt): number {
    return this.scoring.micro(z.win);
  }

  private currentConfig(): DetectionEngineConfig {
    return {
      detection: this.det,
      zones: [...this.zoneMap.values()].map((z) => z.cfg),
      nodes: [...this.nodes.values()],
    };
  }

  /** Installs a config; zones found in `keep` carry over their level, hold and manual state. */
  private apply(config: DetectionEngineConfig, keep: Map<string, ZoneRt>): void {
    const det = config.detection;
    this.det = det;
    this.windowMs = det.window_s * 1000;
    this.holdMs = det.hold_s * 1000;
    this.scoring = new ZoneScoring(det, this.clock);
    this.nodes = new Map(config.nodes.map((n) => [n.id, n]));
    const now = this.clock.now();
    const zones = new Map<string, ZoneRt>();
    for (const cfg of config.zones) {
      const prev = keep.get(cfg.id);
      zones.set(cfg.id, {
        cfg,
        win: new ZoneWindow(this.windowMs, toMicro(det.node_cap)),
        level: prev?.level ?? 'NORMAL',
        since: prev?.since ?? now,
        manual: prev?.manual ?? false,
        manualUntil: prev?.manualUntil ?? Number.NEGATIVE_INFINITY,
        belowSince: prev?.belowSince,
      });
    }
    this.zoneMap = zones;
  }
}
