import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { sleep } from './common.js';

const MOSQUITTO = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';

const live = new Set<ChildProcess>();
let exitHook = false;

/** A free TCP port on 127.0.0.1, as the OS hands it out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const p = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(p));
    });
  });
}

/** True once something accepts TCP connections on 127.0.0.1:`port`. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      r(true);
    });
    s.once('error', () => r(false));
  });
}

/**
 * The benchmarks' central broker: a Mosquitto on a free port with a config in `dir`, unlimited
 * queues so it never drops what a benchmark counts; resolves once it accepts connections. Killed
 * at process exit if a benchmark fails before `stop()`.
 */
export async function startBenchBroker(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\nmax_queued_messages 0\nmax_inflight_messages 0\n`,
  );
  const proc = spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' });
  live.add(proc);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.once('error', () => {});
  const stop = async (): Promise<void> => {
    live.delete(proc);
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(t);
  };
  const deadline = Date.now() + 5000;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline || proc.exitCode !== null) {
      await stop();
      throw new Error(`mosquitto did not start (${MOSQUITTO})`);
    }
    await sleep(30);
  }
  return { url: `mqtt://127.0.0.1:${port}`, stop };
}
