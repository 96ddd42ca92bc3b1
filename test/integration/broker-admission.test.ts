import { type Socket, connect as tcpConnect } from 'node:net';
import { type IClientOptions, MqttClient } from 'mqtt';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/broker/password.js';
import { LocalBroker } from '../../src/broker/server.js';
import { type BrokerUser, buildConfigSchema, type LocalBrokerConfig } from '../../src/config/schema.js';
import { ManualClock } from '../../src/domain/clock.js';
import { silentLog } from '../helpers/log.js';
import { until } from '../helpers/wait.js';

const configSchema = buildConfigSchema();

// Every 127.x.y.z is loopback on Linux: binding the client side to one of them gives each test
// "host" its own address, as the nodes behind different access points have.
const ATTACKER = '127.0.0.2';
const NEIGHBOUR = '127.0.0.3';

const PW = { node: 'node-secret', admin: 'admin-secret' };
let users: BrokerUser[] = [];

beforeAll(async () => {
  const [node, admin] = await Promise.all([hashPassword(PW.node), hashPassword(PW.admin)]);
  users = [
    { username: 'pir-07', password_hash: node, role: 'node', node: 'pir-07' },
    { username: 'ops', password_hash: admin, role: 'admin' },
  ];
});

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

interface Harness {
  broker: LocalBroker;
  port: number;
  payloads: { node: string; payload: string }[];
}

async function startBroker(overrides: Partial<LocalBrokerConfig>): Promise<Harness> {
  const payloads: Harness['payloads'] = [];
  const broker = new LocalBroker({
    // The shipped defaults, so these tests also vouch for them; overrides are what a test is about.
    // port 0 (any free port) is for tests only, so it is set after validation.
    config: { ...configSchema.shape.local_broker.parse({ enabled: true, users, ...overrides }), port: 0 },
    log: silentLog,
    clock: new ManualClock(Date.parse('2026-11-20T20:00:00Z')),
    onNodePayload: (node, payload) => payloads.push({ node, payload: payload.toString() }),
    count: () => {},
  });
  await broker.start();
  cleanups.push(() => broker.stop());
  return { broker, port: broker.address().port, payloads };
}

type Outcome = { ok: true; client: MqttClient } | { ok: false; code?: number };

/** An MQTT client connecting from `from`; resolves once the broker accepted or refused it. */
function connectFrom(
  h: Harness,
  from: string,
  username: string,
  password: string,
  opts: IClientOptions = {},
) {
  return new Promise<Outcome>((resolve) => {
    const client = new MqttClient(() => tcpConnect({ host: '127.0.0.1', port: h.port, localAddress: from }), {
      username,
      password,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      ...opts,
    });
    cleanups.push(() => client.endAsync(true).catch(() => {}));
    client.once('connect', () => resolve({ ok: true, client }));
    client.once('error', (err: Error & { code?: number }) =>
      resolve({ ok: false, ...(typeof err.code === 'number' ? { code: err.code } : {}) }),
    );
    client.once('close', () => resolve({ ok: false }));
  });
}

/** `count` TCP sockets from `from` that never send a byte, each reopened soon after it closes. */
function silentSockets(h: Harness, from: string, count: number): { opened: () => number } {
  let running = true;
  let opened = 0;
  const sockets = new Set<Socket>();
  const open = () => {
    if (!running) return;
    const socket = tcpConnect({ host: '127.0.0.1', port: h.port, localAddress: from });
    opened++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => {
      sockets.delete(socket);
      setTimeout(open, 20);
    });
  };
  for (let i = 0; i < count; i++) open();
  cleanups.push(() => {
    running = false;
    for (const s of sockets) s.destroy();
  });
  return { opened: () => opened };
}

async function publishAsNode(h: Harness, client: MqttClient, body: string): Promise<void> {
  await client.publishAsync('siaga/local/nodes/pir-07/up', body, { qos: 1 });
  await until('the reading reaches the gateway', () => h.payloads.some((p) => p.payload === body));
}

describe('local broker admission: sockets that never log in', () => {
  it('20 silent sockets from one address, reopened as they close, do not keep a node out', async () => {
    // Default caps: 25 % of 20 may be pending, one address at most half of that.
    const h = await startBroker({ max_connections: 20 });
    const attack = silentSockets(h, ATTACKER, 20);
    await until('the broker has seen all 20 sockets', () => {
      const { connections, refused } = h.broker.stats();
      return connections + (refused.too_many_pending ?? 0) + (refused.too_many_connections ?? 0) >= 20;
    });

    const node = await connectFrom(h, NEIGHBOUR, 'pir-07', PW.node);
    expect(node.ok).toBe(true);
    if (node.ok) await publishAsNode(h, node.client, 'SG1,pir-07,1,pir,1');
    expect(h.broker.stats().pending).toBeLessThanOrEqual(2);
    expect(h.broker.stats().refused.too_many_pending).toBeGreaterThan(0);
    expect(attack.opened()).toBeGreaterThan(20); // refused ones came back
  });

  it('closes a socket that does not begin to log in within connect_timeout_s and counts it like a failed login', async () => {
    const h = await startBroker({ connect_timeout_s: 0.5, auth_fail_limit: 3 });
    const attack = silentSockets(h, ATTACKER, 1);
    await until('three timeouts', () => (h.broker.stats().refused.connect_timeout ?? 0) >= 3);
    // the third timeout blocked the address: its next sockets are refused at once
    await until('the address is blocked', () => (h.broker.stats().refused.auth_blocked ?? 0) >= 1);
    expect(h.broker.stats().blockedAddresses).toBe(1);
    expect(attack.opened()).toBeGreaterThan(3);
    const failed = await connectFrom(h, ATTACKER, 'pir-07', PW.node);
    expect(failed.ok).toBe(false);
    // another address is not affected
    const node = await connectFrom(h, NEIGHBOUR, 'pir-07', PW.node);
    expect(node.ok).toBe(true);
  });

  it('caps sockets not yet logged in over all addresses at a share of max_connections', async () => {
    // The longest deadline, so no pending socket times out while the counts are read.
    const h = await startBroker({ max_connections: 20, max_pending_share: 0.25, connect_timeout_s: 10 });
    const node = await connectFrom(h, NEIGHBOUR, 'pir-07', PW.node);
    expect(node.ok).toBe(true);
    for (let i = 10; i < 18; i++) silentSockets(h, `127.0.0.${i}`, 1);
    await until(
      'the total pending cap is reached',
      () => (h.broker.stats().refused.too_many_pending ?? 0) >= 3,
    );
    expect(h.broker.stats().pending).toBe(5);
    expect(h.broker.stats().connections).toBe(6);
    // the logged-in node is not counted as pending and keeps working
    if (node.ok) await publishAsNode(h, node.client, 'SG1,pir-07,2,pir,1');
  });
});

describe('local broker admission: login throttle', () => {
  it('19 parallel bad CONNECTs from one address get at most auth_fail_limit password checks', async () => {
    // Pending caps out of the way: this is about the password checks.
    const h = await startBroker({ auth_fail_limit: 5, max_pending_per_address: 50, max_pending_share: 1 });
    const outcomes = await Promise.all(
      Array.from({ length: 19 }, () => connectFrom(h, ATTACKER, 'ops', 'guess')),
    );
    expect(outcomes.every((o) => !o.ok)).toBe(true);
    const stats = h.broker.stats();
    expect(stats.refused.auth_failed).toBeLessThanOrEqual(5);
    expect(stats.passwordChecks).toBeLessThanOrEqual(5);
    expect(stats.refused.auth_throttled).toBe(19 - (stats.refused.auth_failed ?? 0));
  });

  it('a node behind the same address as a brute-forcer still gets in', async () => {
    const h = await startBroker({});
    let hammering = true;
    const hammer = (async () => {
      while (hammering) {
        await Promise.all(Array.from({ length: 3 }, () => connectFrom(h, ATTACKER, 'ops', 'guess')));
      }
    })();
    cleanups.push(async () => {
      hammering = false;
      await hammer;
    });
    await until(
      'the brute-forcer made auth_fail_limit failed logins',
      () => (h.broker.stats().refused.auth_failed ?? 0) >= 5,
    );

    const node = await connectFrom(h, ATTACKER, 'pir-07', PW.node);
    expect(node.ok).toBe(true);
    if (node.ok) await publishAsNode(h, node.client, 'SG1,pir-07,3,pir,1');
    // the real operator, elsewhere, is not locked out by the guesses at its name
    expect((await connectFrom(h, NEIGHBOUR, 'ops', PW.admin)).ok).toBe(true);
    expect(h.broker.stats()).toMatchObject({ blockedAddresses: 0, throttledLogins: 1 });
  });
});
