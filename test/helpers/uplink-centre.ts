import { execFileSync } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { afterEach, beforeEach } from 'vitest';
import type { UplinkConfig } from '../../src/config/schema.js';
import { systemClock } from '../../src/domain/index.js';
import { type Db, openDb } from '../../src/store/db.js';
import { NonceStore } from '../../src/store/nonces.js';
import { Outbox } from '../../src/store/outbox.js';
import { CommandHandler } from '../../src/uplink/commands.js';
import { Forwarder, type ForwarderDeps } from '../../src/uplink/forwarder.js';
import { inflatePayload } from '../../src/uplink/payloads.js';
import { RecordingEvents } from '../fakes/recording-events.js';
import { silentLog } from './log.js';
import { type Mosquitto, type MosquittoOptions, startMosquitto } from './mosquitto.js';
import { insertEvents, newId } from './outbox-fixtures.js';

/** The gateway the uplink tests forward for, and the central broker's side of it. */
export const GW = 'gw-test-01';
export const VILLAGE = '18.07.11.2005';
export const PREFIX = `siaga/v1/gw/${GW}`;

export interface Msg {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

export function cfg(url: string, over: Partial<UplinkConfig> = {}): UplinkConfig {
  return {
    url,
    protocol_version: 4,
    keepalive_s: 30,
    batch: { max_readings: 200, max_delay_ms: 30, max_bytes: 256 * 1024 },
    max_inflight: 64,
    live_readings: true,
    compress: 'none',
    stall_s: 60,
    backoff: { min_ms: 100, max_ms: 400 },
    ...over,
  };
}

/** The centre: a subscriber to everything the gateway sends, recording arrival order. */
export async function consumer(
  url: string,
  opts: IClientOptions = {},
): Promise<{ client: MqttClient; msgs: Msg[] }> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 100, connectTimeout: 2000, ...opts });
  const msgs: Msg[] = [];
  client.on('message', (topic, payload, packet) => msgs.push({ topic, payload, retain: packet.retain }));
  await client.subscribeAsync(`${PREFIX}/#`, { qos: 1 });
  return { client, msgs };
}

/** Reading ids per batch, in arrival order (plain and deflated batches). */
export function batchesOf(msgs: Msg[]): string[][] {
  const batches: string[][] = [];
  for (const m of msgs) {
    let json: string | undefined;
    if (m.topic === `${PREFIX}/readings`) json = m.payload.toString();
    else if (m.topic === `${PREFIX}/readings/z`) json = inflatePayload(m.payload);
    if (json !== undefined) batches.push((JSON.parse(json).readings as { id: string }[]).map((r) => r.id));
  }
  return batches;
}

export function readingIdsOf(msgs: Msg[]): string[] {
  return batchesOf(msgs).flat();
}

export function eventsOf(msgs: Msg[]): Record<string, unknown>[] {
  return msgs.filter((m) => m.topic === `${PREFIX}/events`).map((m) => JSON.parse(m.payload.toString()));
}

/** Records events and stores + queues them in the same database, like the gateway's sink. */
export function dbSink(db: Db): RecordingEvents {
  return new RecordingEvents({
    id: () => newId(),
    store: (e) => insertEvents(db, [{ id: e.id, ts: e.ts, kind: e.kind, fields: e.fields }]),
  });
}

/** The command side of a gateway with one key (`ops-1`) and a `status` that answers `{ ok: 1 }`. */
export function statusCommandHandler(
  db: Db,
  secret: string,
  log: Logger = silentLog,
): { handler: CommandHandler; raised: RecordingEvents } {
  const raised = dbSink(db);
  const handler = new CommandHandler({
    commands: { keys: [{ id: 'ops-1', secret }], max_skew_s: 60 },
    nonces: new NonceStore(db),
    clock: systemClock,
    events: raised,
    services: { status: () => ({ ok: 1 }), nodes: () => [], resend: () => 0, configGet: () => ({}) },
    log,
  });
  return { handler, raised };
}

export const status = () => ({
  version: '0.1.0-test',
  uptime_s: 12,
  clock_ok: true,
  levels: { 'z-braja': 'NORMAL' },
  nodes: { total: 4, offline: 0 },
});

export async function waitFor(cond: () => boolean, ms = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `mosquitto_passwd` ships with the mosquitto package; without it, write Mosquitto 2's `$7$` (PBKDF2-SHA512) lines. */
export function writePasswordFile(file: string, users: Record<string, string>): void {
  const bin = ['/usr/bin/mosquitto_passwd', '/usr/sbin/mosquitto_passwd'].find((b) => existsSync(b));
  const entries = Object.entries(users);
  if (bin) {
    entries.forEach(([user, pw], i) => {
      execFileSync(bin, [...(i === 0 ? ['-c'] : []), '-b', file, user, pw], { stdio: 'pipe' });
    });
    return;
  }
  const lines = entries.map(([user, pw]) => {
    const salt = randomBytes(12);
    const hash = pbkdf2Sync(pw, salt, 101, 64, 'sha512');
    return `${user}:$7$101$${salt.toString('base64')}$${hash.toString('base64')}`;
  });
  writeFileSync(file, `${lines.join('\n')}\n`);
}

/** Per test: a fresh SQLite outbox, and brokers, centres and forwarders that are closed afterwards. */
export interface UplinkHarness {
  db: Db;
  outbox: Outbox;
  /** Pushes `fn` to run after the test (in reverse order). */
  cleanup(fn: () => Promise<void> | void): void;
  broker(opts?: MosquittoOptions): Promise<Mosquitto>;
  centre(url: string, opts?: IClientOptions): Promise<{ client: MqttClient; msgs: Msg[] }>;
  forwarder(config: UplinkConfig, extra?: Partial<ForwarderDeps>): Forwarder;
}

/** Registers the harness's beforeEach/afterEach in the calling describe block. */
export function uplinkHarness(log: Logger = silentLog): UplinkHarness {
  let dir = '';
  const cleanups: (() => Promise<void> | void)[] = [];
  const h = {
    cleanup: (fn: () => Promise<void> | void) => {
      cleanups.push(fn);
    },
    async broker(opts: MosquittoOptions = {}) {
      const b = await startMosquitto(opts);
      cleanups.push(() => b.close());
      return b;
    },
    async centre(url: string, opts: IClientOptions = {}) {
      const c = await consumer(url, opts);
      cleanups.push(() => c.client.endAsync(true));
      return c;
    },
    forwarder(config: UplinkConfig, extra: Partial<ForwarderDeps> = {}) {
      const f = new Forwarder({
        config,
        gatewayId: GW,
        villageCode: VILLAGE,
        outbox: h.outbox,
        clock: systemClock,
        log,
        status,
        connectTimeoutMs: 2000,
        ...extra,
      });
      cleanups.push(() => f.stop(500));
      return f;
    },
  } as UplinkHarness;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'siaga-uplink-'));
    h.db = openDb(join(dir, 'siaga.db'));
    h.outbox = new Outbox(h.db);
  });
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
    h.db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return h;
}
