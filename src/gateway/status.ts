import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config, NodeConfig } from '../config/schema.js';
import type { ZoneState } from '../detect/types.js';
import type { Level } from '../domain/index.js';
import type { NodeState } from '../store/node-state.js';
import type { Backlog } from '../store/outbox.js';
import { VERSION } from '../version.js';
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

export function levelsOf(zones: ZoneState[]): Record<string, Level> {
  return Object.fromEntries(zones.map((z) => [z.zone, z.level]));
}

/** The fields of the retained `status` topic (docs/wire.md §3), from the full status. */
export function uplinkStatusFields(s: {
  version: string;
  uptime_s: number;
  site: Config['gateway']['site'];
  clock_ok: boolean;
  levels: Record<string, string>;
  nodes: { total: number; offline: number };
  storage: { error: string | null };
}) {
  return {
    version: s.version,
    uptime_s: s.uptime_s,
    site: s.site,
    clock_ok: s.clock_ok,
    levels: s.levels,
    nodes: { total: s.nodes.total, offline: s.nodes.offline },
    ...(s.storage.error ? { storage_error: s.storage.error } : {}),
  };
}

export interface StatusParts<L, B, U> {
  config: Config;
  uptimeS: number;
  clockOk: boolean;
  zones: ZoneState[];
  nodes: { config: NodeConfig; state: NodeState }[];
  sirens: { state(): unknown[]; silences(): unknown[] };
  serial: unknown[];
  lora: L | null;
  localBroker: B | null;
  uplink: U | null;
  storage: {
    error: string | null;
    pending: number;
    committed: number;
    /** Readings only in memory because the disk refuses writes: a kill -9 or power cut loses them. */
    held_in_memory: number;
    held_bytes: number;
    /** Readings dropped (oldest first) because the disk refused writes past disk_full_memory_mb. */
    dropped_while_failing: number;
    backlog: Backlog;
  };
  counters: Record<string, Record<string, number>>;
}

/** What `siaga status`, the control socket and the centre's `status` command show. */
export function gatewayStatus<L, B, U>(p: StatusParts<L, B, U>) {
  return {
    version: VERSION,
    gateway: p.config.gateway.id,
    site: p.config.gateway.site,
    uptime_s: p.uptimeS,
    clock_ok: p.clockOk,
    levels: levelsOf(p.zones),
    zones: p.zones,
    nodes: {
      total: p.nodes.length,
      online: p.nodes.filter((n) => n.state.online === true).length,
      offline: p.nodes.filter((n) => n.state.online === false).length,
    },
    sirens: p.sirens.state(),
    silences: p.sirens.silences(),
    serial: p.serial,
    lora: p.lora,
    local_broker: p.localBroker,
    uplink: p.uplink,
    storage: p.storage,
    disk: diskInfo(p.config) ?? null,
    counters: p.counters,
  };
}
