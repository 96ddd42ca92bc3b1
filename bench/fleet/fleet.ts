import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '../common.js';
import type { ToWorker, WorkerGateway, WorkerState, WorkerUplink } from './protocol.js';

const here = dirname(fileURLToPath(import.meta.url));

type Body<C extends ToWorker['cmd']> = Omit<Extract<ToWorker, { cmd: C }>, 'id'>;

/** A child process answering numbered requests over IPC (a worker, or the centre consumer). */
export class Rpc {
  private next = 1;
  private readonly waiting = new Map<number, (m: Record<string, unknown>) => void>();
  readonly ready: Promise<void>;

  constructor(readonly proc: ChildProcess) {
    this.ready = new Promise((resolve, reject) => {
      proc.once('exit', (code) =>
        reject(new Error(`child ${proc.pid} exited (${code}) before it was ready`)),
      );
      proc.on('message', (m: Record<string, unknown>) => {
        if (m.ready) resolve();
        const w = typeof m.id === 'number' ? this.waiting.get(m.id) : undefined;
        if (w && typeof m.id === 'number') {
          this.waiting.delete(m.id);
          w(m);
        }
      });
    });
  }

  call(body: Record<string, unknown>, timeoutMs = 600_000): Promise<Record<string, unknown>> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`no answer to ${String(body.cmd)} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiting.set(id, (m) => {
        clearTimeout(t);
        if (typeof m.error === 'string') reject(new Error(m.error));
        else resolve(m);
      });
      this.proc.send({ id, ...body });
    });
  }
}

export interface FleetOptions {
  gateways: number;
  workers: number;
  uplink: WorkerUplink;
  password(id: string): string;
  /** The `uplink.url` list of gateway i. */
  urls(i: number): string[];
}

export const gatewayId = (i: number): string => `gw-${String(i + 1).padStart(4, '0')}`;
export const villageCode = (i: number): string =>
  `18.07.${String(10 + (i % 24)).padStart(2, '0')}.${String(2001 + i).padStart(4, '0')}`;

/** N gateways spread round-robin over a few worker processes (bench/fleet/worker.ts). */
export class Fleet {
  readonly dir = mkdtempSync(join(tmpdir(), 'siaga-fleet-gw-'));
  private readonly workers: Rpc[] = [];

  static async start(opts: FleetOptions): Promise<Fleet> {
    const f = new Fleet();
    const slices: WorkerGateway[][] = Array.from({ length: opts.workers }, () => []);
    for (let i = 0; i < opts.gateways; i++) {
      const id = gatewayId(i);
      slices[i % opts.workers]?.push({
        id,
        village: villageCode(i),
        password: opts.password(id),
        urls: opts.urls(i),
      });
    }
    for (const gateways of slices) {
      if (gateways.length === 0) continue;
      const w = new Rpc(
        fork(join(here, 'worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
      );
      f.workers.push(w);
      await w.ready;
      await w.call({ cmd: 'init', dir: f.dir, gateways, uplink: opts.uplink } satisfies Body<'init'>);
    }
    return f;
  }

  pids(): number[] {
    return this.workers.map((w) => w.proc.pid ?? 0);
  }

  async all<C extends ToWorker['cmd']>(body: Body<C> & { cmd: C }): Promise<Record<string, unknown>[]> {
    return Promise.all(this.workers.map((w) => w.call(body)));
  }

  async state(perGateway = false): Promise<WorkerState> {
    const parts = (await this.all({ cmd: 'state', perGateway })).map((m) => m.state as WorkerState);
    const out: WorkerState = {
      gateways: 0,
      connected: 0,
      backlog: 0,
      generated: 0,
      urls: {},
      perGateway: {},
    };
    for (const p of parts) {
      out.gateways += p.gateways;
      out.connected += p.connected;
      out.backlog += p.backlog;
      out.generated += p.generated;
      for (const [u, n] of Object.entries(p.urls)) out.urls[u] = (out.urls[u] ?? 0) + n;
      Object.assign(out.perGateway ?? {}, p.perGateway ?? {});
    }
    return out;
  }

  /** Polls the fleet until `ok` says so; the last state, or throws naming `what` after `ms`. */
  async until(what: string, ok: (s: WorkerState) => boolean, ms: number): Promise<WorkerState> {
    const deadline = Date.now() + ms;
    for (;;) {
      const s = await this.state();
      if (ok(s)) return s;
      if (Date.now() > deadline)
        throw new Error(`fleet: timed out waiting for ${what} (${JSON.stringify(s)})`);
      await sleep(250);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        const exited = new Promise<void>((r) => w.proc.once('exit', () => r()));
        await w.call({ cmd: 'stop' }, 60_000).catch(() => w.proc.kill('SIGKILL'));
        await exited;
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
