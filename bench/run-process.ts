import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UNIT_ENV, UNIT_NODE_FLAGS } from '../src/gateway/heap.js';
import { must } from '../src/util/must.js';
import { procCpuS } from './child.js';
import { now, serviceEnv } from './common.js';

/**
 * `siaga run` as its own process, the way scripts/siaga.service starts it (the unit's node flags
 * and environment; `unit: false` for a technician's `siaga run` by hand): the benches that time
 * its start (P8) and measure its memory from outside (the 1,000 frames/s run) share it.
 */

// The bundle `npm run build` writes, as the unit runs it (dist-bench/bench → dist/bin). SIAGA_BENCH_CLI:
// another build's CLI, to measure a before and an after alike.
const CLI = process.env.SIAGA_BENCH_CLI ?? fileURLToPath(new URL('../../dist/bin/siaga.js', import.meta.url));

export interface RunProcess {
  pid: number;
  /** ms from spawn to the log line 'gateway ready' (sirens OFF confirmed, ports open). */
  ready: Promise<number>;
  /** ms from spawn to 'uplink connected' (CONNACK from the centre's broker). */
  online: Promise<number>;
  /**
   * CPU ms (user + system, all threads) the process had used when each marker was seen: on a
   * shared machine the wall-clock times follow the neighbours' load, this follows our work.
   */
  cpuMs: { ready?: number; online?: number };
  /** SIGTERM, then SIGKILL after 10 s; resolves once it exited. */
  stop(): Promise<void>;
}

export function spawnRun(file: string, opts: { unit?: boolean; timeoutMs?: number } = {}): RunProcess {
  const unit = opts.unit ?? true;
  const t0 = now();
  const child = spawn(
    process.execPath,
    [...(unit ? UNIT_NODE_FLAGS : []), CLI, 'run', '-c', file, '--log-format', 'json'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: serviceEnv(unit ? UNIT_ENV : {}) },
  );
  let out = '';
  let err = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const cpuMs: { ready?: number; online?: number } = {};
  const cpuNow = () => {
    try {
      return procCpuS(must(child.pid, 'pid')) * 1000;
    } catch {
      return Number.NaN;
    }
  };
  const waitFor = (needle: string, key: 'ready' | 'online') =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no '${needle}' within ${opts.timeoutMs ?? 20_000} ms`)),
        opts.timeoutMs ?? 20_000,
      );
      const look = () => {
        if (out.includes(needle)) {
          cpuMs[key] = cpuNow();
          clearTimeout(timer);
          child.stdout.off('data', look);
          resolve(now() - t0);
        }
      };
      child.stdout.on('data', look);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`siaga run exited before '${needle}':\n${err.slice(0, 500)}${out.slice(-500)}`));
      });
    });
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  // Keep only the tail: a long run logs a lot and the markers come early.
  child.stdout.on('data', (s: string) => {
    out = (out + s).slice(-65_536);
  });
  child.stderr.on('data', (s: string) => {
    err = (err + s).slice(-4096);
  });
  const ready = waitFor('"gateway ready"', 'ready');
  const online = waitFor('"uplink connected"', 'online');
  // Unobserved rejections would end the bench; the caller awaits what it needs.
  ready.catch(() => {});
  online.catch(() => {});
  return {
    pid: must(child.pid, 'the pid of siaga run'),
    ready,
    online,
    cpuMs,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}
