import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { parseConfig } from '../src/config/load.js';
import type { Config, LoraDeviceConfig } from '../src/config/schema.js';
import type { ReadingType, Values } from '../src/domain/index.js';
import type { FrameSource } from '../src/ports/frame-source.js';
import { must } from '../src/util/must.js';

/**
 * Shared pieces of the benchmarks: the figure record every bench returns, timing and percentile
 * helpers, scratch directories that are always removed, and the bench site (50 nodes, 4 zones).
 */

/** One row of the results table (and of bench/results/latest.json). */
export interface Figure {
  /** P1…P9, optionally with a suffix for a secondary figure (e.g. "P1 ceiling"). */
  figure: string;
  value: number;
  unit: string;
  /** The docs/quality.md target, as text (e.g. "≥ 50000"). */
  target?: string;
  /** true/false when the figure has a target; undefined for baselines and notes. */
  pass?: boolean;
  /** Short text for the ratio/notes column. */
  notes?: string;
  [k: string]: unknown;
}

export const silentLog = pino({ level: 'silent' });

export const now = (): number => performance.now();

/** The q-quantile (0..1) of `xs` by nearest rank on a sorted copy; NaN when empty. */
export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return must(s[i], 'a rank of a non-empty list');
}

/** The `k`-th of the per-variant values gathered for `k` variants (one child each). */
export function nth<T>(xs: readonly T[], k: number): T {
  return must(xs[k], `value ${k} of ${xs.length}`);
}

/** The `i`-th item of `xs` going round and round (node i of a tick, device i of a pool). */
export function cycle<T>(xs: readonly T[], i: number): T {
  return must(xs[i % xs.length], 'an item of a round-robin list');
}

export function median(xs: readonly number[]): number {
  return percentile(xs, 0.5);
}

/** Median and range of the per-pair ratios, e.g. "0.74 (0.69–0.80)". */
export function spread(xs: readonly number[]): string {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return `${median(xs).toFixed(2)} (${lo.toFixed(2)}–${hi.toFixed(2)})`;
}

/** Each pair's ratio a[i] / b[i]: measured side by side, the load of the moment cancels within a pair. */
export const pairRatios = (a: readonly number[], b: readonly number[]): number[] =>
  a.map((x, i) => x / (b[i] as number));

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Lets pending I/O callbacks and timers run (one macrotask turn). */
export const yieldLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Polls `cond` every `everyMs` until true; rejects with `what` after `timeoutMs`. */
export async function waitFor(
  cond: () => boolean,
  what: string,
  timeoutMs = 30_000,
  everyMs = 1,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Rounds to `digits` significant-ish decimals for the table. */
export function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

const scratch = new Set<string>();
let exitHook = false;

/**
 * A fresh directory on the real disk (os.tmpdir(), checked on this machine to be the root
 * filesystem, not tmpfs), removed by `removeScratch` or, as a last resort, at process exit.
 */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `siaga-bench-${prefix}-`));
  scratch.add(dir);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const d of scratch) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

export function removeScratch(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  scratch.delete(dir);
}

/** A stream that swallows what `print` sirens write, optionally noting when each line arrived. */
export function sinkStream(onLine?: (line: string, at: number) => void): Writable {
  const w = new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });
  // Replace write itself so the time is taken synchronously inside driver.on(), not after
  // Writable's buffering.
  w.write = ((chunk: unknown): boolean => {
    if (onLine) onLine(String(chunk), performance.now());
    return true;
  }) as typeof w.write;
  return w;
}

// ------------------------------------------------------------------ the bench site

export const ZONES = ['z-braja', 'z-labuhan', 'z-rantau', 'z-tegal'] as const;
const NODE_TYPES: ReadingType[] = ['pir', 'seis', 'hb', 'beam', 'cam', 'fence', 'pir', 'seis', 'hb', 'gps'];

export interface BenchNode {
  id: string;
  type: ReadingType;
  zone: string;
}

/** 50 nodes spread over the 4 zones with a village's mix of sensors. */
export function benchNodes(count = 50): BenchNode[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `n-${String(i).padStart(2, '0')}`,
    type: cycle(NODE_TYPES, i),
    zone: cycle(ZONES, i),
  }));
}

/**
 * Values a node of `type` sends on a quiet night: nothing here raises a zone, so the throughput
 * figures measure ingest and storage, not siren switching.
 */
export function benignValues(type: ReadingType, i: number): [ReadingType, Values] {
  const bat = Math.round((3.6 + (i % 40) / 100) * 100) / 100;
  switch (type) {
    case 'pir':
      return ['pir', { n: 0, bat }];
    case 'seis':
      return ['seis', { pgv: 0.05 + (i % 10) / 100, f: 8.5, bat }];
    case 'beam':
      return ['beam', { cut: 0, bat }];
    case 'cam':
      return ['cam', { label: 'animal', conf: 0.42, bat }];
    case 'fence':
      return ['fence', { kv: 7.4 + (i % 5) / 10 }];
    case 'gps':
      return ['gps', { lat: -4.9, lon: 105.9, hdop: 1.2, bat }];
    default:
      return ['hb', { bat, temp: 27 + (i % 8) / 2 }];
  }
}

/** Values the detection engine scores, per node type: a herd walking past every sensor (hb-only nodes still send heartbeats). */
export function evidenceValues(type: ReadingType, i: number): [ReadingType, Values] {
  const bat = 3.7;
  switch (type) {
    case 'pir':
      return ['pir', { n: 1 + (i % 2), bat }];
    case 'seis':
      return ['seis', { pgv: 0.5 + (i % 10) / 20, f: 8.5, bat }];
    case 'beam':
      return ['beam', { cut: 1, bat }];
    case 'cam':
      return ['cam', { label: 'elephant', conf: 0.8, bat }];
    case 'fence':
      return ['fence', { kv: 2.1 }];
    case 'gps':
      return ['gps', { lat: -5.02, lon: 105.76, hdop: 1.2, bat }];
    default:
      return ['hb', { bat, temp: 27 }];
  }
}

export interface SiteOptions {
  dir: string;
  nodes?: BenchNode[];
  /** Extra YAML appended (sirens:, lora:, serial:, detection: …). */
  extra?: string;
  /** Replace the zones list (YAML flow sequence). */
  zonesYaml?: string;
  groupCommit?: { max_rows?: number; max_delay_ms?: number };
  logLevel?: string;
  /** Sirens, one print siren per zone by default. */
  sirensYaml?: string;
}

/** YAML text of the bench site config; the database lives in `dir`. */
export function siteYaml(o: SiteOptions): string {
  const nodes = o.nodes ?? benchNodes();
  const gc = o.groupCommit ?? {};
  const gcYaml = [
    gc.max_rows !== undefined ? `max_rows: ${gc.max_rows}` : '',
    gc.max_delay_ms !== undefined ? `max_delay_ms: ${gc.max_delay_ms}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const zones =
    o.zonesYaml ??
    `[${ZONES.map((z, i) => `{id: ${z}, name: ${z}, sirens: [s-${i + 1}], center: [-5.0${i}, 105.7${i}], radius_m: 1500}`).join(', ')}]`;
  const sirens = o.sirensYaml ?? `[${ZONES.map((_, i) => `{id: s-${i + 1}, driver: print}`).join(', ')}]`;
  return `
gateway: {id: gw-bench-01, site: {name: Desa Bench, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}, min_valid_time: "2020-01-01"}
storage: {path: ${join(o.dir, 'siaga.db')}${gcYaml ? `, group_commit: {${gcYaml}}` : ''}}
nodes:
${nodes.map((n) => `  - {id: ${n.id}, type: ${n.type}, zone: ${n.zone}}`).join('\n')}
zones: ${zones}
sirens: ${sirens}
control: {socket: ${join(o.dir, 'siaga.sock')}}
log: {level: ${o.logLevel ?? 'silent'}}
${o.extra ?? ''}`;
}

export function siteConfig(o: SiteOptions): Config {
  return parseConfig(siteYaml(o), o.dir);
}

/** A number for the table: thousands separators above 1000, a few decimals below. */
export function fmtNum(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 10) return (Math.round(x * 10) / 10).toString();
  return (Math.round(x * 1000) / 1000).toString();
}

/** A FrameSource that does nothing: the bench pushes bytes through the gateway's onData itself. */
export function nullSource(path: string): FrameSource {
  const t = Date.now();
  return {
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    state: () => ({ path, open: true, since: t, reconnects: 0, bytes: 0 }),
  };
}

/** The 50 bench nodes as ABP devices: LPP codec, one in ten the SG1 body codec. */
export function loraDevices(): LoraDeviceConfig[] {
  return benchNodes().map((n, i) => {
    const h = i.toString(16).padStart(2, '0');
    return {
      node: n.id,
      dev_addr: `260d00${h}`,
      nwk_s_key: `${h}`.repeat(16),
      app_s_key: `b${h.slice(1)}`.repeat(16),
      codec: i % 10 === 9 ? 'sg1' : 'lpp',
    };
  });
}

export function loraYaml(devs: LoraDeviceConfig[]): string {
  return `lora:
  gwmp: {host: 127.0.0.1, port: 1700}
  dedup_s: 10
  devices:
${devs.map((d) => `    - {node: ${d.node}, dev_addr: "${d.dev_addr}", nwk_s_key: "${d.nwk_s_key}", app_s_key: "${d.app_s_key}", codec: ${d.codec}}`).join('\n')}
`;
}

/** The machine a results file was measured on: the figures mean little without it. */
export function machineInfo(): {
  cpu: string;
  cores: number;
  node: string;
  os: string;
  memGiB: number;
  date: string;
} {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    os: `${platform()} ${release()}`,
    memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    date: new Date().toISOString(),
  };
}

/**
 * The environment a gateway process (siaga's or the peer's) runs with in a bench: this shell's,
 * without NODE_EXTRA_CA_CERTS, then `extra`. A build machine behind a TLS-inspecting proxy sets
 * that variable for every process, and Node then parses the whole root store as it starts: ~40 ms
 * and ~1.8 MB in every Node process here, siaga's, its config check's and Node-RED's alike, which
 * a village gateway's systemd unit does not carry (bench/README.md, "Round 11").
 */
export function serviceEnv(...extra: NodeJS.ProcessEnv[]): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
  return Object.assign(env, ...extra);
}
