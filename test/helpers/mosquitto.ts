import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian puts the broker; `MOSQUITTO_BIN` overrides. */
export const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';

/** True when a Mosquitto binary is present (suites use `describe.skipIf(!mosquittoAvailable())`). */
export function mosquittoAvailable(): boolean {
  return existsSync(MOSQUITTO_BIN);
}

export const MOSQUITTO_MISSING = `Mosquitto not found at ${MOSQUITTO_BIN}: install with "sudo apt-get install -y mosquitto"`;

export interface MosquittoOptions {
  /** Fixed port; default a free one picked from the OS. Kept across restart(). */
  port?: number;
  /** Keep sessions (and queued QoS 1 messages) across restart(); default false, like a broker that lost its state. */
  persistence?: boolean;
  /** Extra lines appended to the generated mosquitto.conf. */
  extraConfig?: string[];
}

/** A real Mosquitto on 127.0.0.1, anonymous; without `persistence` a restart loses sessions and retained messages. */
export interface Mosquitto {
  port: number;
  url: string;
  dir: string;
  /** Stops it (SIGTERM, SIGKILL after 2 s). Idempotent. */
  stop(): Promise<void>;
  /** Starts it again on the same port (after stop(), or stops it first). */
  restart(): Promise<void>;
  /** Stops and removes the temp dir. */
  close(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHook = false;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Mosquitto> {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'siaga-mosq-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      ...(opts.persistence
        ? ['persistence true', `persistence_location ${dir}/`, 'autosave_interval 0']
        : ['persistence false']),
      // Started as root (CI), Mosquitto drops to user "mosquitto", which cannot write the
      // persistence file into our 0700 temp dir: sessions would then be lost on restart.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      'log_dest none',
      'max_inflight_messages 100',
      'max_queued_messages 100000',
      ...(opts.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  let proc: ChildProcess | undefined;

  const launch = async () => {
    const deadline = Date.now() + 10_000;
    // The port may still be held briefly by the previous process: retry launching.
    for (;;) {
      const child = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      live.add(child);
      child.once('exit', () => live.delete(child));
      if (await waitListening(port, child, 5000)) {
        proc = child;
        return;
      }
      child.kill('SIGKILL');
      if (Date.now() > deadline) throw new Error(`mosquitto did not start on port ${port}: ${stderr.trim()}`);
      await sleep(200);
    }
  };

  const stop = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => p.kill('SIGKILL'), 2000);
      p.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      p.kill('SIGTERM');
    });
  };

  await launch();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitListening(port: number, child: ChildProcess, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    if (await canConnect(port)) return true;
    await sleep(30);
  }
  return false;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
