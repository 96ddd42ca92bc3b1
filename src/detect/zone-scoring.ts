import type { DetectionConfig } from '../config/schema.js';
import type { Clock, Level } from '../domain/index.js';
import { LEVELS, levelRank } from '../domain/index.js';
import { type Corroboration, corroborate, evidenceByKind } from './corroboration.js';
import { overKindCap } from './kind-cap.js';
import { toMicro, type ZoneWindow } from './window.js';

const NO_AGREEMENT: Corroboration = { micro: 0, kinds: [] };

/**
 * What a zone's window scores under one detection config, and the level that score reaches.
 * The engine builds a new one with each config it installs, so the thresholds never go stale.
 */
export class ZoneScoring {
  /** Threshold per level rank in micro-points (NORMAL = 0). */
  private readonly thr: readonly number[];
  /** Neighbour evidence together stays just below SIAGA: a pre-alert alone never goes further. */
  readonly neighbourCap: number;

  constructor(
    private readonly det: DetectionConfig,
    private readonly clock: Clock,
  ) {
    this.thr = [
      0,
      toMicro(det.thresholds.waspada),
      toMicro(det.thresholds.siaga),
      toMicro(det.thresholds.awas),
    ];
    // 0.1 below SIAGA (what status shows as 59.9), or less when the thresholds are closer than that.
    const [, waspada, siaga] = this.thr as [number, number, number, number];
    this.neighbourCap = siaga - Math.max(1, Math.min(toMicro(0.1), Math.floor((siaga - waspada) / 2)));
  }

  /** The zone score: its nodes' evidence within the caps per kind, plus what their agreement earns. */
  micro(win: ZoneWindow): number {
    return win.scoreMicro - this.overKindCap(win) + this.corroboration(win).micro;
  }

  overKindCap(win: ZoneWindow): number {
    return overKindCap(win.buckets.values(), win.cap, this.det.kind_cap);
  }

  corroboration(win: ZoneWindow): Corroboration {
    const c = this.det.corroboration;
    if (!(c.weight > 0) || win.buckets.size < 2) return NO_AGREEMENT;
    return corroborate(evidenceByKind(win.buckets.values(), win.cap, this.clock.now(), c.fresh_s), c);
  }

  /** The score, in micro-points, a zone needs to be at `level` (0 for NORMAL). */
  threshold(level: Level): number {
    return this.thr[levelRank(level)] ?? 0;
  }

  levelFor(micro: number): Level {
    for (let i = LEVELS.length - 1; i > 0; i--) if (micro >= (this.thr[i] ?? 0)) return LEVELS[i] as Level;
    return 'NORMAL';
  }
}
