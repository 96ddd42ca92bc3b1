import { type ChildProcess, fork } from 'node:child_process';
import { closeSync, constants, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodeSg1 } from '../src/codecs/sg1.js';
import type { ReadingType, Values } from '../src/domain/index.js';
import { UNIT_ENV, UNIT_NODE_FLAGS } from '../src/gateway/heap.js';
import type { PtyPair } from '../src/sim/pty.js';
import { must } from '../src/util/must.js';
import { type BenchNode, benignValues, cycle, round, serviceEnv } from './common.js';
import { field as kb } from './rss-probe.js';

/**
 * The harness of the benches that measure a gateway alone in its own process (P6, P7): the child
 * (bench/p67-child.ts) and its IPC protocol, /proc readers, and the frames fed to it over a pty.
 */

export interface ChildArgs {
  dir: string;
  /** Path of a serial port (one end of a pty) for `serial:` in the config. */
  serial?: string;
  /** `uplink:` YAML (flow mapping), e.g. `{url: mqtt://127.0.0.1:1}`. */
  uplinkYaml?: string;
  /** Frames arrive as IPC messages instead of over a serial port. */
  ipcFeed?: boolean;
  /** Load the modules, start nothing. */
  bare?: boolean;
}

export interface ChildSample {
  mem: NodeJS.MemoryUsage;
  /** process.cpuUsage(), µs. */
  cpu: { user: number; system: number };
  committed: number;
  backlog?: { events: number; readings: number };
  sentReadings?: number;
  connected?: boolean;
  reconnects?: number;
}

const CHILD = fileURLToPath(new URL('./p67-child.js', import.meta.url));

// ------------------------------------------------------------------ /proc

export interface ProcStatus {
  /** kB */
  vmRss: number;
  vmHwm: number;
  rssAnon: number;
  rssFile: number;
  threads: number;
}

export function procStatus(pid: number): ProcStatus {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    vmRss: kb(s, 'VmRSS'),
    vmHwm: kb(s, 'VmHWM'),
    rssAnon: kb(s, 'RssAnon'),
    rssFile: kb(s, 'RssFile'),
    threads: kb(s, 'Threads'),
  };
}

const CLK_TCK = 100;

/** utime + stime of the whole process (all threads), in seconds. */
export function procCpuS(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): utime is field 14, stime field 15.
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/**
 * /proc/<pid>/io `write_bytes`: bytes the process caused to be sent to the block layer, counted
 * when a page-cache page is dirtied — what will reach the SD card (all threads, SQLite's included).
 */
export function procWriteBytes(pid: number): number {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const m = /^write_bytes:\s*(\d+)/m.exec(io);
  if (!m) throw new Error(`no write_bytes in /proc/${pid}/io`);
  return Number(m[1]);
}

/** Context switches a thread gave up the CPU for (sleeps, i.e. wake-ups): main thread and all. */
export function procWakeups(pid: number): { main: number; all: number } {
  let main = 0;
  let all = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const n = kb(readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8'), 'voluntary_ctxt_switches');
      all += n;
      if (t === String(pid)) main = n;
    } catch {
      // a thread that ended meanwhile
    }
  }
  return { main, all };
}

export const mb = (kB: number): number => round(kB / 1024, 1);

// ------------------------------------------------------------------ the child

const liveChildren = new Set<ChildProcess>();
let exitHook = false;
function killAllOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const c of liveChildren) c.kill('SIGKILL');
  });
}

export interface Child {
  name: string;
  pid: number;
  ask(what?: 'sample' | 'final'): Promise<ChildSample>;
  line(l: string): void;
  stop(): Promise<void>;
}

export async function startChild(name: string, args: ChildArgs): Promise<Child> {
  killAllOnExit();
  const proc = fork(CHILD, [JSON.stringify(args)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    // What scripts/siaga.service starts node with (src/gateway/heap.ts).
    execArgv: [...process.execArgv, ...UNIT_NODE_FLAGS],
    env: serviceEnv(UNIT_ENV),
  });
  liveChildren.add(proc);
  const exited = new Promise<void>((r) =>
    proc.once('exit', () => {
      liveChildren.delete(proc);
      r();
    }),
  );
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.send('stop');
    const t = setTimeout(() => proc.kill('SIGKILL'), 8_000);
    await exited;
    clearTimeout(t);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${name}: child did not start`)), 20_000);
      proc.once('error', reject);
      proc.once('exit', (c) => reject(new Error(`${name}: child exited (${c})`)));
      proc.once('message', () => {
        clearTimeout(t);
        resolve();
      });
    });
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  return {
    name,
    pid: must(proc.pid, 'the pid of a started child'),
    ask: (what = 'sample') =>
      new Promise((resolve) => {
        proc.once('message', (m: ChildSample) => resolve(m));
        proc.send(what);
      }),
    line: (l) => proc.send({ line: l }),
    stop,
  };
}

// ------------------------------------------------------------------ frames

export interface Frame {
  node: string;
  seq: number;
  type: ReadingType;
  v: Values;
}

/**
 * The frames of the realistic schedule: tick i (one every 1.2 s) is node i % 50's heartbeat and,
 * every other minute for a sensor node, its quiet sensor frame. `seqs` counts per node.
 */
export function realisticTick(nodes: BenchNode[], seqs: Map<string, number>, i: number): Frame[] {
  const n = cycle(nodes, i);
  const minute = Math.floor(i / nodes.length);
  const next = () => {
    const s = (seqs.get(n.id) ?? 0) + 1;
    seqs.set(n.id, s);
    return s;
  };
  const [, hb] = benignValues('hb', i);
  const out: Frame[] = [{ node: n.id, seq: next(), type: 'hb', v: hb }];
  if (n.type !== 'hb' && minute % 2 === 0) {
    const [type, v] = benignValues(n.type, i);
    out.push({ node: n.id, seq: next(), type, v });
  }
  return out;
}

/** One frame per node per minute (P7): tick i is node i % 50's own kind of quiet frame. */
export function idleTick(nodes: BenchNode[], seqs: Map<string, number>, i: number): Frame[] {
  const n = cycle(nodes, i);
  const s = (seqs.get(n.id) ?? 0) + 1;
  seqs.set(n.id, s);
  const [type, v] = benignValues(n.type, i);
  return [{ node: n.id, seq: s, type, v }];
}

export const TICK_MS = 60_000 / 50;

/** Writes SG1 lines into the far end of a pty (the gateway has the near end open as its port). */
export class PtyFeeder {
  private readonly fd: number;
  constructor(readonly pty: PtyPair) {
    this.fd = openSync(pty.b, constants.O_WRONLY | constants.O_NOCTTY);
  }
  send(frames: Frame[]): void {
    const text = frames.map((f) => `${encodeSg1(f)}\n`).join('');
    writeSync(this.fd, text, null, 'latin1');
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** Calls `tick(i)` every TICK_MS, i counting from `first`, until stopped. */
export function every(tick: (i: number) => void, first = 0): { stop(): void } {
  let i = first;
  const t = setInterval(() => tick(i++), TICK_MS);
  return { stop: () => clearInterval(t) };
}
