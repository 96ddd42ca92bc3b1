import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { must } from '../src/util/must.js';
import { procWriteBytes } from './child.js';
import { type Figure, nth, removeScratch, scratchDir, serviceEnv, sleep } from './common.js';

/**
 * P9: bytes written to disk per reading at 10 readings/s (SD-card wear). Each variant is a
 * gateway in its own child process (bench/p9-child.ts) with its database on the real disk;
 * /proc/<pid>/io `write_bytes` (bytes the process caused to be sent to the block layer, counted
 * when a page cache page is dirtied) is read after a warm-up and again `seconds` later, and
 * divided by the readings committed in between. Variants run side by side in the same window:
 * - serial, quiet readings (heartbeats and frames that score nothing), default config: the figure;
 * - the same with routine_delay_ms 5, i.e. one commit per reading: what batching saves;
 * - serial, a herd walking past every sensor (all sensor frames evidence): committed within 5 ms;
 * - lora, quiet readings, default config (the FCnt rides in the same commit).
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
];

interface Child {
  v: Variant;
  proc: ChildProcess;
  ask(): Promise<{ committed: number; bytes: number }>;
  stop(): Promise<void>;
}

async function startChild(v: Variant, dir: string, rate: number): Promise<Child> {
  const proc = fork(
    CHILD,
    [dir, v.mode, v.mix, String(v.routineDelayMs ?? 'default'), String(rate), v.outage ? 'outage' : 'local'],
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
    ask: () =>
      new Promise((resolve) => {
        proc.once('message', (m: { committed: number }) =>
          resolve({ committed: m.committed, bytes: procWriteBytes(pid) }),
        );
        proc.send('sample');
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

export async function benchP9(opts: { seconds?: number; rate?: number } = {}): Promise<Figure[]> {
  const seconds = opts.seconds ?? 30;
  const rate = opts.rate ?? 10;
  const dir = scratchDir('p9');
  const children: Child[] = [];
  const results: { v: Variant; perReading: number; readings: number; bytes: number }[] = [];
  try {
    for (const [k, v] of VARIANTS.entries()) children.push(await startChild(v, join(dir, `v${k}`), rate));
    // Warm-up: first commits, node_online events, the WAL's first pages.
    await sleep(3_000);
    const before = await Promise.all(children.map((c) => c.ask()));
    await sleep(seconds * 1000);
    const after = await Promise.all(children.map((c) => c.ask()));
    for (const [k, c] of children.entries()) {
      const [b, a] = [nth(before, k), nth(after, k)];
      const readings = a.committed - b.committed;
      const bytes = a.bytes - b.bytes;
      results.push({ v: c.v, readings, bytes, perReading: bytes / readings });
    }
  } finally {
    await Promise.all(children.map((c) => c.stop()));
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
      notes: `${def.v.name}: ${def.bytes} B for ${def.readings} readings in ${seconds} s (write_bytes of the gateway process, DB on disk)`,
      readings: def.readings,
      bytes: def.bytes,
    },
    ...rest.map((r) => ({
      figure: `P9 ${r.v.mode} ${r.v.mix}${r.v.routineDelayMs !== undefined ? ` routine ${r.v.routineDelayMs} ms` : ''}${r.v.outage ? ' centre unreachable' : ''}`,
      value: r.perReading,
      unit: 'B/reading',
      notes: `${r.v.name}: ${(r.perReading / def.perReading).toFixed(2)} × default; ${r.readings} readings`,
      readings: r.readings,
      bytes: r.bytes,
    })),
  ];
}
