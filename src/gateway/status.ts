import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config, NodeConfig } from '../config/schema.js';
import type { ZoneState } from '../detect/types.js';
import type { NodeState } from '../store/node-state.js';
import { expectEveryOf } from './node-tracker.js';

/** One row of `siaga nodes`: config joined with the remembered state. */
export interface NodeRow {
  node: string;
  zone: string;
  type: string;
  name?: string;
  online: boolean | null;
  last_seen: number | null;
  bat: number | null;
  bat_low: boolean;
  rssi: number | null;
  seq: number | null;
  lost: number;
  resets: number;
  dups: number;
  frames: number;
  expect_every_s: number;
}

export function nodeRow(cfg: NodeConfig, s: NodeState | undefined): NodeRow {
  const row: NodeRow = {
    node: cfg.id,
    zone: cfg.zone,
    type: cfg.type,
    online: s?.online ?? null,
    last_seen: s?.last_seen ?? null,
    bat: s?.bat ?? null,
    bat_low: s?.bat_low ?? false,
    rssi: s?.rssi ?? null,
    seq: s?.seq ?? null,
    lost: s?.lost ?? 0,
    resets: s?.resets ?? 0,
    dups: s?.dups ?? 0,
    frames: s?.frames ?? 0,
    expect_every_s: expectEveryOf(cfg),
  };
  if (cfg.name) row.name = cfg.name;
  return row;
}

export interface DiskInfo {
  path: string;
  free_mb: number;
  total_mb: number;
}

export function diskInfo(config: Config): DiskInfo | undefined {
  try {
    const dir = dirname(config.storage.path);
    const s = statfsSync(dir);
    return {
      path: dir,
      free_mb: Math.round((s.bavail * s.bsize) / 1048576),
      total_mb: Math.round((s.blocks * s.bsize) / 1048576),
    };
  } catch {
    return undefined;
  }
}

export function levelsOf(zones: ZoneState[]): Record<string, string> {
  return Object.fromEntries(zones.map((z) => [z.zone, z.level]));
}
