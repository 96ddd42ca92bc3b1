import { type ChildProcess, spawn } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canConnect, freePort } from '../broker.js';
import { sleep } from '../common.js';

const MOSQUITTO = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';

/** The centre's own login, allowed to read every gateway and to send it commands. */
export const CENTRE_USER = 'centre';

/**
 * The central broker as the README tells its operators to run it: passwords, one ACL pattern
 * that confines each gateway to its own `siaga/v1/gw/<id>/` (and its own `cmd/req`), persistence
 * on (sessions and queued QoS 1 messages survive a restart), per-client queues raised far above
 * Mosquitto's default 1,000 (a backlog after an outage is much more), and a connection log with
 * epoch timestamps from which the connects per second are counted.
 */
export interface FleetBroker {
  url: string;
  port: number;
  dir: string;
  /** The running broker's pid (for /proc), 0 while stopped. */
  pid(): number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Connections accepted per second (from the log), since `sinceS` (epoch seconds). */
  connectsPerSecond(sinceS?: number): Map<number, number>;
}

export interface FleetBrokerOptions {
  /** gateway id → password; each gateway logs in as its id. */
  gateways: Map<string, string>;
  centrePassword: string;
  /** Per-client queue limit (QoS 1 messages held for a disconnected or slow session). */
  maxQueuedMessages?: number;
  /** …and in bytes (0 = no byte limit); what bounds memory with one slow consumer. */
  maxQueuedBytes?: number;
}

export async function startFleetBroker(dir: string, opts: FleetBrokerOptions): Promise<FleetBroker> {
  const port = await freePort();
  const log = join(dir, 'mosquitto.log');
  writePasswords(join(dir, 'passwd'), [...opts.gateways, [CENTRE_USER, opts.centrePassword]]);
  writeFileSync(
    join(dir, 'acl'),
    [
      `user ${CENTRE_USER}`,
      'topic read siaga/v1/gw/#',
      'topic write siaga/v1/gw/+/cmd/req',
      '',
      // %u is the login: a gateway can neither write as another one nor read anyone's data.
      'pattern write siaga/v1/gw/%u/#',
      'pattern read siaga/v1/gw/%u/cmd/req',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'mosquitto.conf'),
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous false',
      `password_file ${join(dir, 'passwd')}`,
      `acl_file ${join(dir, 'acl')}`,
      'persistence true',
      `persistence_location ${dir}/`,
      'autosave_interval 60',
      `max_queued_messages ${opts.maxQueuedMessages ?? 1_000_000}`,
      `max_queued_bytes ${opts.maxQueuedBytes ?? 0}`,
      'max_inflight_messages 20',
      'message_size_limit 300000',
      'max_keepalive 120',
      // Root drops to user mosquitto, which could not write the persistence file here.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      `log_dest file ${log}`,
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      'connection_messages true',
      'log_timestamp true',
      'log_timestamp_format %s',
      'sys_interval 5',
      '',
    ].join('\n'),
  );
  let proc: ChildProcess | undefined;
  const start = async () => {
    const child = spawn(MOSQUITTO, ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
    proc = child;
    process.once('exit', () => child.kill('SIGKILL'));
    const deadline = Date.now() + 15_000;
    while (!(await canConnect(port))) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`mosquitto did not start: ${tail(log)}`);
      await sleep(50);
    }
  };
  const stop = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    // SIGTERM: Mosquitto writes its persistence file (sessions, queued messages) before exiting.
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(t);
  };
  await start();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    dir,
    pid: () => proc?.pid ?? 0,
    stop,
    start,
    connectsPerSecond(sinceS = 0) {
      const perS = new Map<number, number>();
      if (!existsSync(log)) return perS;
      for (const line of readFileSync(log, 'utf8').split('\n')) {
        const m = /^(\d+): New client connected from /.exec(line);
        if (!m) continue;
        const s = Number(m[1]);
        if (s >= sinceS) perS.set(s, (perS.get(s) ?? 0) + 1);
      }
      return perS;
    },
  };
}

/** Mosquitto 2's `$7$` lines (PBKDF2-SHA512, 101 rounds), written directly: 650 runs of mosquitto_passwd take a minute. */
export function writePasswords(file: string, users: Iterable<[string, string]>): void {
  const lines: string[] = [];
  for (const [user, pw] of users) {
    const salt = randomBytes(12);
    const hash = pbkdf2Sync(pw, salt, 101, 64, 'sha512');
    lines.push(`${user}:$7$101$${salt.toString('base64')}$${hash.toString('base64')}`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-5).join(' | ');
  } catch {
    return '(no log)';
  }
}
