import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../broker.js';

/**
 * Two clustered RabbitMQ nodes with the MQTT plugin on this machine, for F4: Debian's
 * `rabbitmq-server` (installed by the bench if missing; never in CI), each node with its own
 * RABBITMQ_NODENAME, ports and RABBITMQ_MNESIA_BASE, the same Erlang cookie (a HOME of their own),
 * clustered with `rabbitmqctl join_cluster`. Users and the per-gateway topic ACL are loaded as
 * definitions (650 `rabbitmqctl add_user` calls would take minutes).
 */

const BIN = '/usr/lib/rabbitmq/bin';

export interface RabbitNode {
  name: string;
  url: string;
  logFile: string;
  /** The Erlang VM's pid (for kill -9 and /proc). */
  pid(): number;
  kill(): void;
  /** Boots it again on the same ports and data directory. */
  restart(): Promise<void>;
}

export interface RabbitCluster {
  a: RabbitNode;
  b: RabbitNode;
  stop(): Promise<void>;
}

export function ensureRabbitmq(log: (m: string) => void): void {
  if (existsSync(join(BIN, 'rabbitmq-server'))) return;
  log('installing rabbitmq-server (apt-get; F4 only, never in CI)');
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'rabbitmq-server'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: 'inherit',
  });
}

/** RabbitMQ's `rabbit_password_hashing_sha256`: base64(salt ‖ sha256(salt ‖ password)), 4-byte salt. */
export function rabbitPasswordHash(password: string): string {
  const salt = randomBytes(4);
  const digest = createHash('sha256')
    .update(Buffer.concat([salt, Buffer.from(password, 'utf8')]))
    .digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

/** A routing-key regex for one MQTT topic prefix (RabbitMQ maps `/` to `.`). */
const rk = (topic: string) => `^${topic.replaceAll('/', '\\.').replaceAll('-', '\\-')}`;

export function definitions(gateways: Map<string, string>, centre: [string, string]): unknown {
  const users = [...gateways, centre].map(([name, pw]) => ({
    name,
    password_hash: rabbitPasswordHash(pw),
    hashing_algorithm: 'rabbit_password_hashing_sha256',
    tags: [],
  }));
  const permissions = users.map((u) => ({
    user: u.name,
    vhost: '/',
    configure: '.*',
    write: '.*',
    read: '.*',
  }));
  // The README's ACL in RabbitMQ's terms: a gateway writes only under its own prefix and reads
  // only its own cmd/req; the centre reads everything and writes only commands.
  const topic_permissions = [
    ...[...gateways.keys()].map((gw) => ({
      user: gw,
      vhost: '/',
      exchange: 'amq.topic',
      write: `${rk(`siaga/v1/gw/${gw}/`)}.*`,
      read: `${rk(`siaga/v1/gw/${gw}/cmd/req`)}$`,
    })),
    {
      user: centre[0],
      vhost: '/',
      exchange: 'amq.topic',
      write: '^siaga\\.v1\\.gw\\.[^.]+\\.cmd\\.req$',
      read: '.*',
    },
  ];
  return { rabbit_version: '3.10.8', users, vhosts: [{ name: '/' }], permissions, topic_permissions };
}

export async function startRabbitCluster(
  dir: string,
  gateways: Map<string, string>,
  centre: [string, string],
): Promise<RabbitCluster> {
  const host = hostname().split('.')[0] ?? 'localhost';
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, '.erlang.cookie'), randomBytes(15).toString('hex').toUpperCase(), { mode: 0o400 });
  writeFileSync(join(dir, 'enabled_plugins'), '[rabbitmq_mqtt].\n');
  writeFileSync(join(dir, 'definitions.json'), JSON.stringify(definitions(gateways, centre)));
  const procs: ChildProcess[] = [];

  const envOf = (name: string) => ({
    ...process.env,
    HOME: home,
    RABBITMQ_NODENAME: `${name}@${host}`,
    RABBITMQ_MNESIA_BASE: join(dir, name, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, name, 'log'),
    RABBITMQ_CONFIG_FILE: join(dir, name, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, name, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: join(dir, name, 'pid'),
    RABBITMQ_PLUGINS_EXPAND_DIR: join(dir, name, 'plugins-expand'),
    RABBITMQ_FEATURE_FLAGS_FILE: join(dir, name, 'feature_flags'),
    RABBITMQ_GENERATED_CONFIG_DIR: join(dir, name, 'generated'),
  });
  const ctl = (name: string, ...args: string[]) =>
    execFileSync(join(BIN, 'rabbitmqctl'), ['-n', `${name}@${host}`, ...args], {
      env: envOf(name),
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 120_000,
    });

  /** Boots node `name` on the given ports (again, after a kill) and waits until it runs. */
  const boot = (name: string, ports: { amqp: number; mqtt: number; dist: number }) => {
    const env = {
      ...envOf(name),
      RABBITMQ_NODE_PORT: String(ports.amqp),
      RABBITMQ_DIST_PORT: String(ports.dist),
    };
    const out = openSync(join(dir, name, 'log', 'stdout.log'), 'a');
    const proc = spawn(join(BIN, 'rabbitmq-server'), [], {
      env,
      cwd: join(dir, name),
      stdio: ['ignore', out, out],
    });
    procs.push(proc);
    process.once('exit', () => proc.kill('SIGKILL'));
    // `rabbitmqctl wait` polls until the pid file is written and the app is running.
    ctl(name, 'wait', '--timeout', '180', join(dir, name, 'pid'));
    return Number(ctl(name, 'eval', 'list_to_integer(os:getpid()).').trim());
  };

  const start = async (name: string, withDefinitions: boolean): Promise<RabbitNode> => {
    const ports = { amqp: await freePort(), mqtt: await freePort(), dist: await freePort() };
    mkdirSync(join(dir, name, 'log'), { recursive: true });
    writeFileSync(
      join(dir, name, 'rabbitmq.conf'),
      [
        `listeners.tcp.default = ${ports.amqp}`,
        `mqtt.listeners.tcp.default = ${ports.mqtt}`,
        'mqtt.allow_anonymous = false',
        'loopback_users = none',
        `distribution.listener.port_range.min = ${ports.dist}`,
        `distribution.listener.port_range.max = ${ports.dist}`,
        'log.console = false',
        'log.file.level = info',
        ...(withDefinitions ? [`load_definitions = ${join(dir, 'definitions.json')}`] : []),
        '',
      ].join('\n'),
    );
    let pid = boot(name, ports);
    return {
      name: `${name}@${host}`,
      url: `mqtt://127.0.0.1:${ports.mqtt}`,
      logFile: join(dir, name, 'log', `${name}@${host}.log`),
      pid: () => pid,
      kill() {
        // A node failure, not a clean stop: the VM dies with its connections and its local state.
        if (pid > 0) process.kill(pid, 'SIGKILL');
        pid = 0;
      },
      async restart() {
        pid = boot(name, ports);
      },
    };
  };

  let a: RabbitNode;
  let b: RabbitNode;
  try {
    a = await start('siaga-a', true);
    b = await start('siaga-b', false);
    ctl('siaga-b', 'stop_app');
    ctl('siaga-b', 'join_cluster', a.name);
    ctl('siaga-b', 'start_app');
    ctl('siaga-b', 'await_startup', '--timeout', '120');
  } catch (e) {
    // The script execs the Erlang VM, so these are the nodes themselves.
    for (const p of procs) p.kill('SIGKILL');
    throw e;
  }
  return {
    a,
    b,
    async stop() {
      for (const n of [a, b]) {
        try {
          if (n.pid() > 0) process.kill(n.pid(), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      for (const p of procs) p.kill('SIGKILL');
      // epmd (Erlang's port mapper, started by the first node) is left running: other Erlang
      // programs on this machine may use it.
    },
  };
}
