import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rpc } from './fleet.js';

/** dist-bench/bench/fleet → the repo's scripts/centre/consumer.mjs (plain JS, run as it is). */
const CONSUMER = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'scripts',
  'centre',
  'consumer.mjs',
);

export interface CentreStats {
  messages: number;
  received: number;
  inserted: number;
  /** Readings that arrived again (same id) and were dropped by ON CONFLICT DO NOTHING. */
  duplicates: number;
  dbErrors: number;
  online: number;
  latencies: number[];
  firstInsertAt: number;
  lastInsertAt: number;
}

/** The reference consumer (scripts/centre/consumer.mjs) as a child process of the bench. */
export class Centre {
  private constructor(private readonly rpc: Rpc) {}

  static async start(env: Record<string, string>): Promise<Centre> {
    const proc = fork(CONSUMER, [], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    // Its log lines are for a person running it alone; the bench keeps only errors visible.
    proc.stderr?.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n'))
        if (line.includes('cannot store') || line.includes('dropped'))
          process.stderr.write(`centre: ${line}\n`);
    });
    const rpc = new Rpc(proc);
    await rpc.ready;
    return new Centre(rpc);
  }

  get pid(): number {
    return this.rpc.proc.pid ?? 0;
  }

  async stats(takeLatencies = false): Promise<CentreStats> {
    return (await this.rpc.call({ cmd: 'stats', latencies: takeLatencies })).stats as CentreStats;
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((r) => this.rpc.proc.once('exit', () => r()));
    this.rpc.proc.send({ id: 0, cmd: 'stop' });
    const t = setTimeout(() => this.rpc.proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }
}
