import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { must } from '../src/util/must.js';
import { startBenchBroker } from './broker.js';
import { procWriteBytes } from './child.js';
import { type Figure, nth, removeScratch, scratchDir, serviceEnv, sleep } from './common.js';

/**
 * P9: bytes written to disk per reading at 10 readings/s (SD-card wear). Each variant is a
 * gateway in its own child process (bench/p9-child.ts) with its database on the real disk;
 * /proc/<pid>/io `write_bytes` (bytes the process caused to be sent to the block layer, counted
 * when a page cache page is dirtied) is read after a warm-up and a WAL checkpoint, and again
 * `seconds` later after another, and divided by the readings committed in between: the WAL's
 * frames, its -shm index and the copy of each page into the database file, which the gateway's
 * own checkpoint makes every 4 MiB of WAL (~20 minutes on a quiet night, too long for the bench
 * to wait for; a shorter cycle copies a page rewritten by many commits fewer times over, so the
 * figure errs high). Five minutes: 30 s held 6 or 7 group commits and whole 4 KiB pages, and
 * swung by a quarter from run to run; 120 s still by ±25 B. Variants run side by side:
 * - serial, quiet readings (heartbeats and frames that score nothing), default config: the figure;
 * - the same with routine_delay_ms 5, i.e. one commit per reading: what batching saves;
 * - serial, a herd walking past every sensor (all sensor frames evidence): committed within 5 ms;
 * - lora, quiet readings, default config (the FCnt rides in the same commit);
 * - serial, quiet readings, the centre unreachable (every reading queued, the backlog packed);
 * - serial, quiet readings, the centre reachable: a village as deployed, its readings acknowledged
 *   live before their commit and never queued.
 */

const CHILD = fileURLToPath(new URL('./p9-child.js', import.meta.url));

interface Variant {
  name: string;
  mode: 'serial' | 'lora';
  mix: 'quiet' | 'evidence';
  /** storage.group_commit.routine_delay_ms; undefined = the default. */
  routineDelayMs?: number;
  /** An uplink configured whose broker never answers: the backlog grows and is packed. */
  outage?: boolean;
  /** An uplink to a Mosquitto that answers: readings go live and are never queued. */
  centre?: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'serial, quiet readings, default config', mode: 'serial', mix: 'quiet' },
  {
    name: 'serial, quiet readings, routine_delay_ms 5 (a commit per reading)',
    mode: 'serial',
    mix: 'quiet',
    routineDelayMs: 5,
  },
  {
    name: 'serial, a herd passing (every sensor frame evidence), default config',
    mode: 'serial',
    mix: 'evidence',
  },
  { name: 'lora, quiet readings, default config', mode: 'lora', mix: 'quiet' },
  {
    name: 'serial, quiet readings, the centre unreachable (the backlog queued and packed)',
    mode: 'serial',
    mix: 'quiet',
    outage: true,
  },
  {
    name: 'serial, quiet readings, the centre reachable (readings acknowledged live, never queued)',
    mode: 'serial',
    mix: 'quiet',
    centre: true,
  },
];

interface Child {
  v: Variant;
  proc: ChildProcess;
  ask(what?: 'sample' | 'checkpoint'): Promise<{ committed: number; bytes: number }>;
  stop(): Promise<void>;
}

async function startChild(v: Variant, dir: string, rate: number, centre: string): Promise<Child> {
  const uplink = v.outage ? 'outage' : v.centre ? centre : 'local';
  const proc = fork(
    CHILD,
    [dir, v.mode, v.mix, String(v.routineDelayMs ?? 'default'), String(rate), uplink],
    {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: serviceEnv(),
    },
  );
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`P9 child ${v.name} did not start`)), 15_000);
    proc.once('error', reject);
    proc.once('exit', (c) => reject(new Error(`P9 child ${v.name} exited (${c})`)));
    proc.once('message', () => {
      clearTimeout(t);
      resolve();
    });
  });
  const pid = must(proc.pid, 'the pid of a started child');
  return {
    v,
    proc,
    ask: (what = 'sample') =>
      new Promise((resolve) => {
        proc.once('message', (m: { committed: number }) =>
          resolve({ committed: m.committed, bytes: procWriteBytes(pid) }),
        );
        proc.send(what);
      }),
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.send('stop');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}

interface Result {
  v: Variant;
  perReading: number;
  readings: number;
  bytes: number;
  /** Of `bytes`, those written before the closing checkpoint: the WAL's frames (and its index). */
  walBytes: number;
}

/** How a variant's bytes per reading split between the WAL and the checkpoint that ends the window. */
function split(r: Result): string {
  const wal = r.walBytes / r.readings;
  return `${wal.toFixed(1)} B in the WAL + ${(r.perReading - wal).toFixed(1)} B at the checkpoint`;
}

export async function benchP9(opts: { seconds?: number; rate?: number } = {}): Promise<Figure[]> {
  const seconds = opts.seconds ?? 300;
  const rate = opts.rate ?? 10;
  const dir = scratchDir('p9');
  const children: Child[] = [];
  const results: Result[] = [];
  const broker = await startBenchBroker(join(dir, 'centre'));
  try {
    for (const [k, v] of VARIANTS.entries())
      children.push(await startChild(v, join(dir, `v${k}`), rate, broker.url));
    // Warm-up: first commits, node_online events, the WAL's first pages; then a checkpoint, so
    // the window starts as the gateway's checkpoint cycle does and ends with one (ask 'checkpoint').
    await sleep(3_000);
    const before = await Promise.all(children.map((c) => c.ask('checkpoint')));
    await sleep(seconds * 1000);
    const wal = await Promise.all(children.map((c) => c.ask()));
    const after = await Promise.all(children.map((c) => c.ask('checkpoint')));
    for (const [k, c] of children.entries()) {
      const [b, w, a] = [nth(before, k), nth(wal, k), nth(after, k)];
      const readings = a.committed - b.committed;
      const bytes = a.bytes - b.bytes;
      results.push({ v: c.v, readings, bytes, perReading: bytes / readings, walBytes: w.bytes - b.bytes });
    }
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await broker.stop();
    removeScratch(dir);
  }
  const [def, ...rest] = results;
  if (!def) throw new Error('P9: no result');
  return [
    {
      figure: 'P9',
      value: def.perReading,
      unit: 'B/reading',
      target: '≤ 400',
      pass: def.perReading <= 400,
      notes: `${def.v.name}: ${def.bytes} B for ${def.readings} readings in ${seconds} s, ${split(def)} (write_bytes of the gateway process, DB on disk)`,
      readings: def.readings,
      bytes: def.bytes,
    },
    ...rest.map((r) => ({
      figure: `P9 ${r.v.mode} ${r.v.mix}${r.v.routineDelayMs !== undefined ? ` routine ${r.v.routineDelayMs} ms` : ''}${r.v.outage ? ' centre unreachable' : ''}${r.v.centre ? ' centre reachable' : ''}`,
      value: r.perReading,
      unit: 'B/reading',
      notes: `${r.v.name}: ${(r.perReading / def.perReading).toFixed(2)} × default; ${r.readings} readings, ${split(r)}`,
      readings: r.readings,
      bytes: r.bytes,
    })),
  ];
}
