import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/broker/password.js';
import { AUTH_BLOCK_MS, LocalBroker } from '../../src/broker/server.js';
import type { BrokerUser, LocalBrokerConfig } from '../../src/config/schema.js';
import { ManualClock } from '../../src/domain/clock.js';
import { silentLog } from '../helpers/log.js';

const PW = {
  node: 'node-secret',
  node2: 'node2-secret',
  siren: 'siren-secret',
  viewer: 'viewer-secret',
  admin: 'admin-secret',
};
const UP = 'siaga/local/nodes/pir-07/up';
const OTHER_UP = 'siaga/local/nodes/cam-02/up';
const STATE = 'siaga/local/sirens/s-braja-1/state';
const SET = 'siaga/local/sirens/s-braja-1/set';
const OTHER_STATE = 'siaga/local/sirens/s-test/state';
const OTHER_SET = 'siaga/local/sirens/s-test/set';

let users: BrokerUser[] = [];
/** The schema's defaults for the admission keys this file does not exercise. */
const ADMISSION = { connect_timeout_s: 3, max_pending_per_address: 8, max_pending_share: 0.25 };

beforeAll(async () => {
  const [node, node2, siren, viewer, admin] = await Promise.all([
    hashPassword(PW.node),
    hashPassword(PW.node2),
    hashPassword(PW.siren),
    hashPassword(PW.viewer),
    hashPassword(PW.admin),
  ]);
  users = [
    { username: 'pir-07', password_hash: node, role: 'node', node: 'pir-07' },
    { username: 'cam-02', password_hash: node2, role: 'node', node: 'cam-02' },
    { username: 'siren-1', password_hash: siren, role: 'siren', siren: 's-braja-1' },
    { username: 'warga', password_hash: viewer, role: 'viewer' },
    { username: 'ops', password_hash: admin, role: 'admin' },
  ];
});

interface Harness {
  broker: LocalBroker;
  clock: ManualClock;
  payloads: { node: string; payload: string }[];
  counts: string[];
  url: string;
  connect(
    username: string | undefined,
    password: string | undefined,
    opts?: IClientOptions,
  ): Promise<Outcome>;
  login(username: keyof typeof LOGIN, opts?: IClientOptions): Promise<MqttClient>;
}

const LOGIN = {
  'pir-07': PW.node,
  'cam-02': PW.node2,
  'siren-1': PW.siren,
  warga: PW.viewer,
  ops: PW.admin,
} as const;

type Outcome = { ok: true; client: MqttClient } | { ok: false; code?: number; closed: boolean };

const openClients = new Set<MqttClient>();
const brokers = new Set<LocalBroker>();

afterEach(async () => {
  await Promise.all([...openClients].map((c) => c.endAsync(true).catch(() => {})));
  openClients.clear();
  await Promise.all([...brokers].map((b) => b.stop()));
  brokers.clear();
});

async function startBroker(overrides: Partial<LocalBrokerConfig> = {}, scheme = 'mqtt'): Promise<Harness> {
  const clock = new ManualClock(Date.parse('2026-11-20T20:00:00Z'));
  const payloads: Harness['payloads'] = [];
  const counts: string[] = [];
  const config: LocalBrokerConfig = {
    enabled: true,
    host: '127.0.0.1',
    port: 0,
    max_connections: 50,
    max_payload_bytes: 1024,
    auth_fail_limit: 5,
    ...ADMISSION,
    users,
    ...overrides,
  };
  const broker = new LocalBroker({
    config,
    log: silentLog,
    clock,
    onNodePayload: (node, payload) => payloads.push({ node, payload: payload.toString() }),
    count: (reason) => counts.push(reason),
  });
  await broker.start();
  brokers.add(broker);
  const url = `${scheme}://127.0.0.1:${broker.address().port}`;
  const connect = (username: string | undefined, password: string | undefined, opts: IClientOptions = {}) =>
    new Promise<Outcome>((resolve) => {
      const client = mqtt.connect(url, {
        reconnectPeriod: 0,
        connectTimeout: 5000,
        ...(username === undefined ? {} : { username }),
        ...(password === undefined ? {} : { password }),
        ...opts,
      });
      openClients.add(client);
      client.once('connect', () => resolve({ ok: true, client }));
      client.once('error', (err: Error & { code?: number }) =>
        resolve({ ok: false, ...(typeof err.code === 'number' ? { code: err.code } : {}), closed: false }),
      );
      client.once('close', () => resolve({ ok: false, closed: true }));
    });
  const login = async (username: keyof typeof LOGIN, opts: IClientOptions = {}) => {
    const outcome = await connect(username, LOGIN[username], opts);
    if (!outcome.ok) throw new Error(`login ${username} failed: ${JSON.stringify(outcome)}`);
    return outcome.client;
  };
  return { broker, clock, payloads, counts, url, connect, login };
}

/** Records every message a client receives. */
function record(client: MqttClient): { topic: string; payload: string }[] {
  const got: { topic: string; payload: string }[] = [];
  client.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
  return got;
}

async function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let markers = 0;
/** Publishes a marker through the broker and waits until `got` has it: everything before it has arrived. */
async function settle(h: Harness, got: { topic: string }[]): Promise<void> {
  const topic = `siaga/local/marker/${++markers}`;
  await h.broker.publish(topic, 'm');
  await waitFor(() => got.some((m) => m.topic === topic), topic);
}

/** An admin subscribed to `#`, recording what it receives. */
async function watcher(h: Harness): Promise<{ topic: string; payload: string }[]> {
  const admin = await h.login('ops');
  const got = record(admin);
  const granted = await admin.subscribeAsync('#');
  expect(granted[0]?.qos).toBe(0);
  return got;
}

/** Publishes with a fresh connection of `username` and expects the broker to drop it. */
async function expectPublishRefused(h: Harness, username: keyof typeof LOGIN, topic: string): Promise<void> {
  const client = await h.login(username);
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  client.publish(topic, `forbidden from ${username}`);
  await closed;
}

/** The QoS granted in the SUBACK: 128 means refused (MQTT.js rejects then, with the SUBACK attached). */
async function subscribeQos(client: MqttClient, filter: string): Promise<number | undefined> {
  try {
    const granted = await client.subscribeAsync(filter);
    return granted[0]?.qos;
  } catch (err) {
    const packet = (err as { packet?: { granted?: number[] } }).packet;
    if (!packet?.granted) throw err;
    return packet.granted[0];
  }
}

function forbiddenDelivered(got: { payload: string }[]): string[] {
  return got.filter((m) => m.payload.startsWith('forbidden')).map((m) => m.payload);
}

describe('local broker: authentication', () => {
  it('refuses a wrong password, an unknown user and anonymous clients', async () => {
    const h = await startBroker();
    const wrong = await h.connect('pir-07', 'not-the-password');
    expect(wrong).toMatchObject({ ok: false, code: 4 });
    const unknown = await h.connect('mallory', PW.node);
    expect(unknown).toMatchObject({ ok: false, code: 4 });
    const anonymous = await h.connect(undefined, undefined);
    expect(anonymous).toMatchObject({ ok: false, code: 5 });
    const noPassword = await h.connect('pir-07', undefined);
    expect(noPassword).toMatchObject({ ok: false, code: 4 });
    expect(h.broker.stats().authFailures).toBe(4);
    expect(h.counts.filter((c) => c === 'auth_failed')).toHaveLength(4);
    const right = await h.connect('pir-07', PW.node);
    expect(right.ok).toBe(true);
  });

  it('refuses a user at an address after auth_fail_limit failures within a minute, then lets it in again', async () => {
    const h = await startBroker({ auth_fail_limit: 3 });
    for (let i = 0; i < 3; i++) expect(await h.connect('ops', 'guess')).toMatchObject({ ok: false, code: 4 });
    // even the right password is refused now, without checking it
    const checks = h.broker.stats().passwordChecks;
    expect(await h.connect('ops', PW.admin)).toMatchObject({ ok: false, code: 5 });
    expect(h.broker.stats().passwordChecks).toBe(checks);
    expect(h.counts).toContain('auth_throttled');
    expect(h.broker.stats().refused.auth_throttled).toBe(1);
    expect(h.broker.stats().throttledLogins).toBe(1);
    expect(h.broker.stats().blockedAddresses).toBe(0);
    h.clock.advance(AUTH_BLOCK_MS + 1);
    expect((await h.connect('ops', PW.admin)).ok).toBe(true);
    expect(h.broker.stats().throttledLogins).toBe(0);
  });

  it('blocks an address at admission after auth_fail_limit logins without a user name', async () => {
    const h = await startBroker({ auth_fail_limit: 3 });
    for (let i = 0; i < 3; i++)
      expect(await h.connect(undefined, undefined)).toMatchObject({ ok: false, code: 5 });
    expect((await h.connect('ops', PW.admin)).ok).toBe(false);
    expect(h.broker.stats().refused.auth_blocked).toBe(1);
    expect(h.broker.stats().blockedAddresses).toBe(1);
    h.clock.advance(AUTH_BLOCK_MS + 1);
    expect((await h.connect('ops', PW.admin)).ok).toBe(true);
    expect(h.broker.stats().blockedAddresses).toBe(0);
  });

  it('forgets failures older than a minute', async () => {
    const h = await startBroker({ auth_fail_limit: 3 });
    for (let i = 0; i < 2; i++) expect((await h.connect('ops', 'guess')).ok).toBe(false);
    h.clock.advance(61_000);
    for (let i = 0; i < 2; i++) expect((await h.connect('ops', 'guess')).ok).toBe(false);
    expect((await h.connect('ops', PW.admin)).ok).toBe(true);
  });

  it("refuses a client id that belongs to another user's session", async () => {
    const h = await startBroker();
    const siren = await h.login('siren-1', { clientId: 's-braja-1' });
    const hijack = await h.connect('warga', PW.viewer, { clientId: 's-braja-1' });
    expect(hijack).toMatchObject({ ok: false, code: 2 });
    expect(siren.connected).toBe(true);
    expect(h.counts).toContain('client_id_in_use');
  });
});

describe('local broker: roles and ACL', () => {
  it('node: publishes only its own up topic, subscribes nothing', async () => {
    const h = await startBroker();
    const got = await watcher(h);
    const node = await h.login('pir-07');
    await node.publishAsync(UP, 'SG1,pir-07,1,pir,1', { qos: 1 });
    await waitFor(() => got.some((m) => m.topic === UP) && h.payloads.length === 1, 'admin sees node up');
    expect(h.payloads).toEqual([{ node: 'pir-07', payload: 'SG1,pir-07,1,pir,1' }]);

    for (const filter of [UP, SET, 'siaga/local/#', '#', '$SYS/#'])
      expect(await subscribeQos(node, filter)).toBe(128);
    for (const topic of [OTHER_UP, STATE, SET, 'siaga/local/nodes/pir-07/down', 'siaga/gw/x', '$SYS/x']) {
      await expectPublishRefused(h, 'pir-07', topic);
    }
    await settle(h, got);
    expect(forbiddenDelivered(got)).toEqual([]);
    expect(h.payloads).toHaveLength(1);
    expect(h.broker.stats().refused.publish_denied).toBe(6);
    expect(h.broker.stats().refused.subscribe_denied).toBe(5);
  });

  it('siren: publishes only its own state, subscribes only its own set', async () => {
    const h = await startBroker();
    const got = await watcher(h);
    const siren = await h.login('siren-1');
    const sirenGot = record(siren);
    expect(await subscribeQos(siren, SET)).toBe(0);
    for (const filter of [OTHER_SET, 'siaga/local/sirens/+/set', `${SET}/#`, STATE, 'siaga/local/#', '#']) {
      expect(await subscribeQos(siren, filter)).toBe(128);
    }
    await siren.publishAsync(STATE, 'ON', { qos: 1 });
    await waitFor(() => got.some((m) => m.topic === STATE && m.payload === 'ON'), 'admin sees siren state');

    await h.broker.publish(OTHER_SET, 'ON'); // not for this siren
    await h.broker.publish(SET, 'OFF');
    await waitFor(() => sirenGot.length > 0, 'siren set');
    expect(sirenGot).toEqual([{ topic: SET, payload: 'OFF' }]);

    for (const topic of [OTHER_STATE, SET, UP, 'siaga/local/sirens/s-braja-1', '$SYS/x']) {
      await expectPublishRefused(h, 'siren-1', topic);
    }
    await settle(h, got);
    expect(forbiddenDelivered(got)).toEqual([]);
    expect(h.payloads).toEqual([]);
  });

  it('viewer: subscribes within siaga/local/#, publishes nothing', async () => {
    const h = await startBroker();
    const got = await watcher(h);
    const viewer = await h.login('warga');
    const viewerGot = record(viewer);
    for (const filter of ['siaga/local/#', 'siaga/local/nodes/+/up', 'siaga/local']) {
      expect(await subscribeQos(viewer, filter)).toBe(0);
    }
    for (const filter of ['#', 'siaga/#', '+/local/#', 'siaga/+/#', '+/#', '$SYS/#', 'siaga/localx/#']) {
      expect(await subscribeQos(viewer, filter)).toBe(128);
    }
    await h.broker.publish('siaga/gw/outside', 'x');
    const node = await h.login('pir-07');
    await node.publishAsync(UP, 'SG1 line', { qos: 1 });
    await waitFor(
      () => viewerGot.some((m) => m.topic === UP) && h.payloads.length === 1,
      'viewer sees node up',
    );
    expect(viewerGot.some((m) => m.topic === 'siaga/gw/outside')).toBe(false);

    for (const topic of [UP, SET, STATE, 'siaga/local/x', 'other'])
      await expectPublishRefused(h, 'warga', topic);
    await settle(h, got);
    expect(forbiddenDelivered(got)).toEqual([]);
    expect(h.payloads).toEqual([{ node: 'pir-07', payload: 'SG1 line' }]);
  });

  it('admin: publishes within siaga/local/#, subscribes to #', async () => {
    const h = await startBroker();
    const got = await watcher(h);
    const viewer = await h.login('warga');
    const viewerGot = record(viewer);
    await viewer.subscribeAsync('siaga/local/#');
    const admin = await h.login('ops');
    expect(await subscribeQos(admin, '#')).toBe(0);
    expect(await subscribeQos(admin, '$SYS/#')).toBe(128);
    await admin.publishAsync(OTHER_SET, 'ON');
    await admin.publishAsync(OTHER_UP, 'SG1 from admin');
    await waitFor(() => viewerGot.length === 2 && h.payloads.length === 1, 'viewer gets admin publishes');
    expect(h.payloads).toEqual([{ node: 'cam-02', payload: 'SG1 from admin' }]);

    for (const topic of ['siaga/gw/x', 'siaga/localx', 'other/topic', '$SYS/broker/x']) {
      await expectPublishRefused(h, 'ops', topic);
    }
    await settle(h, got);
    expect(forbiddenDelivered(got)).toEqual([]);
  });

  it('counts connected clients by role', async () => {
    const h = await startBroker();
    await h.login('pir-07');
    await h.login('cam-02');
    await h.login('siren-1');
    await h.login('ops');
    await waitFor(() => h.broker.stats().clients.node === 2, 'stats');
    expect(h.broker.stats().clients).toEqual({ node: 2, siren: 1, viewer: 0, operator: 0, admin: 1 });
  });
});

describe('local broker: limits', () => {
  it('refuses an oversized payload without forwarding it', async () => {
    const h = await startBroker({ max_payload_bytes: 1024 });
    const got = await watcher(h);
    const node = await h.login('pir-07');
    await node.publishAsync(UP, Buffer.alloc(1024, 'a'), { qos: 1 });
    await waitFor(() => h.payloads.length === 1, 'payload at the limit');

    const big = await h.login('pir-07');
    const closed = new Promise<void>((r) => big.once('close', () => r()));
    big.publish(UP, Buffer.alloc(1025, 'b'));
    await closed;

    const huge = await h.login('pir-07');
    const closedHuge = new Promise<void>((r) => huge.once('close', () => r()));
    huge.publish(UP, Buffer.alloc(1_000_000, 'c'));
    await closedHuge;

    await settle(h, got);
    expect(h.payloads).toHaveLength(1);
    expect(got.filter((m) => m.topic === UP)).toHaveLength(1);
    expect(h.broker.stats().refused.too_large).toBe(2);
    expect(h.counts.filter((c) => c === 'too_large')).toHaveLength(2);
  });

  it('enforces max_connections', async () => {
    const h = await startBroker({ max_connections: 2 });
    const first = await h.login('pir-07');
    await h.login('cam-02');
    const third = await h.connect('ops', PW.admin);
    expect(third.ok).toBe(false);
    expect(h.broker.stats().refused.too_many_connections).toBe(1);
    await first.endAsync();
    await waitFor(() => h.broker.stats().connections === 1, 'slot freed');
    expect((await h.connect('ops', PW.admin)).ok).toBe(true);
  });
});

describe('local broker: reconfigure', () => {
  it('keeps authorized clients and disconnects removed or changed users', async () => {
    const h = await startBroker();
    const node = await h.login('pir-07');
    const viewer = await h.login('warga');
    const siren = await h.login('siren-1');
    const viewerClosed = new Promise<void>((r) => viewer.once('close', () => r()));
    const sirenClosed = new Promise<void>((r) => siren.once('close', () => r()));
    const next = users
      .filter((u) => u.username !== 'warga')
      .map((u) => (u.username === 'siren-1' ? { ...u, siren: 's-test' } : u));
    h.broker.reconfigure({
      enabled: true,
      host: '127.0.0.1',
      port: 0,
      max_connections: 50,
      max_payload_bytes: 1024,
      auth_fail_limit: 5,
      ...ADMISSION,
      users: next,
    });
    await viewerClosed;
    await sirenClosed;
    expect(node.connected).toBe(true);
    await node.publishAsync(UP, 'still here', { qos: 1 });
    await waitFor(() => h.payloads.length === 1, 'node payload after reload');
    expect((await h.connect('warga', PW.viewer)).ok).toBe(false);
    // the siren user now has the s-test binding
    const rebound = await h.login('siren-1');
    expect(await subscribeQos(rebound, OTHER_SET)).toBe(0);
    expect(await subscribeQos(rebound, SET)).toBe(128);
  });
});

describe('local broker: gateway bus', () => {
  it("delivers the gateway's set command to the siren and the siren's state to the gateway", async () => {
    const h = await startBroker();
    const states: { topic: string; payload: string }[] = [];
    const unsubscribe = h.broker.subscribe('siaga/local/sirens/+/state', (topic, payload) =>
      states.push({ topic, payload: payload.toString() }),
    );
    const siren = await h.login('siren-1');
    const sirenGot = record(siren);
    await siren.subscribeAsync(SET, { qos: 1 });
    await h.broker.publish(SET, 'ON', { qos: 1 });
    await waitFor(() => sirenGot.length === 1, 'siren receives ON');
    expect(sirenGot[0]).toEqual({ topic: SET, payload: 'ON' });

    await siren.publishAsync(STATE, 'ON', { qos: 1 });
    await waitFor(() => states.length === 1, 'gateway receives state');
    expect(states[0]).toEqual({ topic: STATE, payload: 'ON' });

    unsubscribe();
    await siren.publishAsync(STATE, 'OFF', { qos: 1 });
    await h.broker.publish('siaga/local/sync', 'x');
    expect(states).toHaveLength(1);
  });

  it('accepts internal subscriptions made before start', async () => {
    const clock = new ManualClock(0);
    const broker = new LocalBroker({
      config: {
        enabled: true,
        host: '127.0.0.1',
        port: 0,
        max_connections: 5,
        max_payload_bytes: 1024,
        auth_fail_limit: 5,
        ...ADMISSION,
        users,
      },
      log: silentLog,
      clock,
      onNodePayload: () => {},
      count: () => {},
    });
    const got: string[] = [];
    broker.subscribe('siaga/local/#', (topic) => got.push(topic));
    await expect(broker.publish('siaga/local/x', 'y')).rejects.toThrow();
    await broker.start();
    brokers.add(broker);
    await broker.publish('siaga/local/x', 'y');
    await waitFor(() => got.length === 1, 'internal delivery');
  });
});

describe('local broker: TLS', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'siaga-broker-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-days',
        '1',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('accepts mqtts clients that trust the certificate and refuses plain MQTT', async () => {
    const h = await startBroker(
      { tls: { cert_file: join(dir, 'cert.pem'), key_file: join(dir, 'key.pem') } },
      'mqtts',
    );
    const ca = readFileSync(join(dir, 'cert.pem'));
    const node = await h.login('pir-07', { ca, rejectUnauthorized: true });
    await node.publishAsync(UP, 'over tls', { qos: 1 });
    await waitFor(() => h.payloads.length === 1, 'payload over TLS');
    expect(h.payloads[0]).toEqual({ node: 'pir-07', payload: 'over tls' });

    const wrong = await h.connect('pir-07', 'nope', { ca });
    expect(wrong).toMatchObject({ ok: false, code: 4 });

    const plain = await new Promise<boolean>((resolve) => {
      const c = mqtt.connect(`mqtt://127.0.0.1:${h.broker.address().port}`, {
        username: 'pir-07',
        password: PW.node,
        reconnectPeriod: 0,
        connectTimeout: 3000,
      });
      openClients.add(c);
      c.once('connect', () => resolve(true));
      c.once('close', () => resolve(false));
      c.once('error', () => resolve(false));
    });
    expect(plain).toBe(false);
  });
});
