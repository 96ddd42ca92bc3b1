import { connect, createServer, type Server, type Socket } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { signCommand } from '../../src/uplink/hmac.js';
import { inflatePayload } from '../../src/uplink/payloads.js';
import { MOSQUITTO_MISSING, mosquittoAvailable } from '../helpers/mosquitto.js';
import { must } from '../helpers/must.js';
import { insertEvents, insertReadings, mixReadings } from '../helpers/outbox-fixtures.js';
import {
  cfg,
  dbSink,
  eventsOf,
  GW,
  PREFIX,
  readingIdsOf,
  statusCommandHandler,
  uplinkHarness,
  VILLAGE,
  waitFor,
} from '../helpers/uplink-centre.js';

describe.skipIf(!mosquittoAvailable())(
  `uplink forwarder against a real Mosquitto${mosquittoAvailable() ? '' : ` — SKIPPED: ${MOSQUITTO_MISSING}`}`,
  () => {
    const h = uplinkHarness();
    const { broker, forwarder } = h;
    const centre = (url: string, opts: IClientOptions = {}) => h.centre(url, opts);

    it('delivers queued readings and events with their ids, events first, and empties the outbox', async () => {
      const b = await broker();
      const c = await centre(b.url);
      const readings = mixReadings(450, 1_763_892_000_000);
      const rIds = insertReadings(h.db, readings);
      const eIds = insertEvents(h.db, [
        {
          ts: 1_763_892_000_500,
          kind: 'level',
          fields: { zone: 'z-braja', level: 'AWAS', prev: 'SIAGA', score: 112 },
        },
        {
          ts: 1_763_892_001_000,
          kind: 'level',
          fields: { zone: 'z-braja', level: 'NORMAL', prev: 'WASPADA', all_clear: true },
        },
        { ts: 1_763_892_002_000, kind: 'node_offline', fields: { node: 'pir-07' } },
      ]);
      const f = forwarder(cfg(b.url));
      f.start();
      await waitFor(() => readingIdsOf(c.msgs).length >= 450 && eventsOf(c.msgs).length >= 3);

      expect(readingIdsOf(c.msgs)).toEqual(rIds);
      const evs = eventsOf(c.msgs);
      expect(evs.map((e) => e.id)).toEqual(eIds);
      expect(evs[0]).toEqual({
        id: eIds[0],
        ts: 1_763_892_000_500,
        kind: 'level',
        zone: 'z-braja',
        level: 'AWAS',
        prev: 'SIAGA',
        score: 112,
        village_code: VILLAGE,
      });
      expect(evs[1]?.all_clear).toBe(true);
      // events before any reading
      const firstReading = c.msgs.findIndex((m) => m.topic === `${PREFIX}/readings`);
      const lastEvent = c.msgs.map((m) => m.topic).lastIndexOf(`${PREFIX}/events`);
      expect(lastEvent).toBeLessThan(firstReading);
      // batches of at most 200, with the gateway id and a batch ulid
      const batches = c.msgs
        .filter((m) => m.topic === `${PREFIX}/readings`)
        .map((m) => JSON.parse(m.payload.toString()));
      expect(batches.map((x) => x.readings.length)).toEqual([200, 200, 50]);
      expect(batches[0].gw).toBe(GW);
      expect(batches[0].batch).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      await waitFor(
        () => h.outbox.backlog().readings === 0 && h.outbox.backlog().events === 0,
        5000,
        'empty outbox',
      );
      const st = f.state();
      expect(st).toMatchObject({
        connected: true,
        inflight: 0,
        sentReadings: 450,
        sentEvents: 3,
        reconnects: 0,
      });
      expect(st.bytesSent).toBeGreaterThan(450 * 60);
      expect(st.lastPubackTs).not.toBeNull();
    });

    it('R2: broker down while 10 minutes of traffic queue up → all delivered once, events first, oldest first, live events overtake the backlog', async () => {
      const b = await broker({ persistence: true });
      // The centre keeps a persistent session, so it misses nothing across the broker restart.
      const c = await centre(b.url, { clientId: 'centre-r2', clean: false });
      const f = forwarder(cfg(b.url, { backoff: { min_ms: 200, max_ms: 800 } }));
      f.start();
      await waitFor(() => f.state().connected, 5000, 'connected');
      await b.stop();
      await waitFor(() => !f.state().connected, 5000, 'disconnect noticed');

      // 10 minutes of 50 nodes at ~1 frame/s, committed in group commits, with alerts in between.
      const t0 = 1_763_892_000_000;
      const rIds: string[] = [];
      const eIds: string[] = [];
      for (let chunk = 0; chunk < 30; chunk++) {
        rIds.push(...insertReadings(h.db, mixReadings(1000, t0 + chunk * 20_000, chunk * 1000)));
        eIds.push(
          ...insertEvents(h.db, [
            { ts: t0 + chunk * 20_000, kind: 'battery_low', fields: { node: `pir-${chunk}` } },
          ]),
        );
        f.notify();
      }
      expect(h.outbox.backlog()).toEqual({ events: 30, readings: 30_000 });
      expect(f.state().backlog.readings).toBe(30_000);

      await b.restart();
      let liveId: string | undefined;
      await waitFor(
        () => {
          if (liveId === undefined && readingIdsOf(c.msgs).length >= 600) {
            // an alert raised mid-drain
            liveId = insertEvents(h.db, [
              { ts: Date.now(), kind: 'level', fields: { zone: 'z-braja', level: 'AWAS' } },
            ])[0];
            f.notify();
          }
          return readingIdsOf(c.msgs).length >= 30_000 && eventsOf(c.msgs).length >= 31;
        },
        30_000,
        'backlog delivered',
      );
      const got = readingIdsOf(c.msgs);
      expect(new Set(got).size).toBe(got.length); // no duplicate ids
      expect(got).toEqual(rIds); // 100 %, oldest first
      const evIds = eventsOf(c.msgs).map((e) => e.id);
      expect(new Set(evIds).size).toBe(evIds.length);
      expect(evIds.slice(0, 30)).toEqual(eIds);
      expect(evIds).toContain(liveId);
      // the backlog's events went before its readings
      const topics = c.msgs.map((m) => m.topic);
      const firstReading = topics.indexOf(`${PREFIX}/readings`);
      const idxOfEvent = (id: string) =>
        c.msgs.findIndex((m) => m.topic === `${PREFIX}/events` && JSON.parse(m.payload.toString()).id === id);
      expect(idxOfEvent(must(eIds.at(-1), 'the last backlog event'))).toBeLessThan(firstReading);
      // the live event overtook the readings still queued
      const lastReading = topics.lastIndexOf(`${PREFIX}/readings`);
      const live = must(liveId, 'the live event id');
      expect(idxOfEvent(live)).toBeLessThan(lastReading);
      const readingMsgsAfterLive = topics
        .slice(idxOfEvent(live))
        .filter((t) => t === `${PREFIX}/readings`).length;
      expect(readingMsgsAfterLive).toBeGreaterThan(10);
      await waitFor(() => h.outbox.backlog().readings === 0, 5000, 'outbox empty');
      expect(f.state().reconnects).toBeGreaterThanOrEqual(1);
    }, 60_000);

    it('sends raw-deflated batches on readings/z that inflate to the same JSON', async () => {
      const b = await broker();
      const c = await centre(b.url);
      const rIds = insertReadings(h.db, mixReadings(300, 1_763_892_000_000));
      const f = forwarder(cfg(b.url, { compress: 'deflate' }));
      f.start();
      await waitFor(() => readingIdsOf(c.msgs).length >= 300);
      expect(c.msgs.some((m) => m.topic === `${PREFIX}/readings`)).toBe(false);
      const z = c.msgs.filter((m) => m.topic === `${PREFIX}/readings/z`);
      expect(z).toHaveLength(2);
      const batch = JSON.parse(inflatePayload(must(z[0], 'a compressed batch').payload));
      expect(batch.gw).toBe(GW);
      expect(batch.readings[0]).toMatchObject({
        id: rIds[0],
        node: 'pir-00',
        seq: 0,
        type: 'pir',
        via: 'lora',
      });
      expect(batch.readings[0].radio).toEqual({ rssi: -97, snr: 7.5, freq: 922.2, sf: 10 });
      expect(readingIdsOf(c.msgs)).toEqual(rIds);
      expect(f.state().bytesSent).toBeLessThan(300 * 60);
    });

    it('publishes retained status on connect, and the broker publishes the Last Will when the link dies', async () => {
      const b = await broker();
      let gwClient: MqttClient | undefined;
      const f = forwarder(cfg(b.url), {
        connect: (url, opts) => {
          gwClient = mqtt.connect(url, opts);
          return gwClient;
        },
      });
      f.start();
      await waitFor(() => f.state().connected, 5000, 'connected');
      const c = await centre(b.url);
      await waitFor(() => c.msgs.some((m) => m.topic === `${PREFIX}/status`), 5000, 'retained status');
      const first = must(
        c.msgs.find((m) => m.topic === `${PREFIX}/status`),
        'a retained status',
      );
      expect(first.retain).toBe(true);
      expect(JSON.parse(first.payload.toString())).toMatchObject({
        online: true,
        version: '0.1.0-test',
        clock_ok: true,
        levels: { 'z-braja': 'NORMAL' },
        backlog: 0,
        nodes: { total: 4, offline: 0 },
      });
      f.publishNode({
        node: 'pir-07',
        online: true,
        last_seen: 1,
        bat: 3.7,
        rssi: -71,
        seq: 1235,
        lost: 0,
        resets: 0,
      });
      await waitFor(() => c.msgs.some((m) => m.topic === `${PREFIX}/nodes/pir-07`), 5000, 'node state');

      // Kill the gateway's link without a DISCONNECT, as a dead modem would.
      const before = c.msgs.length;
      must(gwClient, "the gateway's MQTT client").stream.destroy();
      await waitFor(
        () =>
          c.msgs
            .slice(before)
            .some((m) => m.topic === `${PREFIX}/status` && m.payload.toString() === '{"online":false}'),
        10_000,
        'last will',
      );
      // …and it comes back by itself, online again.
      await waitFor(
        () =>
          c.msgs
            .slice(before)
            .some((m) => m.topic === `${PREFIX}/status` && JSON.parse(m.payload.toString()).online === true),
        10_000,
        'online again',
      );
      expect(f.state().reconnects).toBe(1);

      // A late subscriber sees the retained state.
      const late = await centre(b.url);
      await waitFor(() => late.msgs.length >= 2, 5000, 'retained for a late subscriber');
      expect(late.msgs.every((m) => m.retain)).toBe(true);
    });

    it('subscribes to cmd/req again after a broker restart that lost the session, and answers on cmd/res', async () => {
      const b = await broker();
      const secret = 'a-secret-of-at-least-16-chars';
      const { handler, raised } = statusCommandHandler(h.db, secret);
      const f = forwarder(cfg(b.url), { onCommand: (p) => handler.handle(p) });
      f.start();
      await waitFor(() => f.state().connected, 5000, 'connected');
      await b.restart();
      await waitFor(() => f.state().reconnects >= 1 && f.state().connected, 10_000, 'reconnected');
      const c = await centre(b.url);
      // Give the gateway's SUBSCRIBE a moment to land after CONNACK.
      await new Promise((r) => setTimeout(r, 200));
      const cmd = {
        id: 'c-1',
        ts: Date.now(),
        nonce: 'n-0001-abcdef',
        key_id: 'ops-1',
        cmd: 'status',
        args: {},
      };
      await c.client.publishAsync(
        `${PREFIX}/cmd/req`,
        JSON.stringify({ ...cmd, sig: signCommand(secret, cmd) }),
        { qos: 1 },
      );
      await waitFor(() => c.msgs.some((m) => m.topic === `${PREFIX}/cmd/res`), 5000, 'cmd/res');
      const res = JSON.parse(
        must(
          c.msgs.find((m) => m.topic === `${PREFIX}/cmd/res`),
          'a cmd/res',
        ).payload.toString(),
      );
      expect(res).toEqual({ id: 'c-1', ok: true, result: { ok: 1 } });
      expect(raised.events.map((e) => e.kind)).toEqual(['cmd']);
    });

    it('acks nothing without a PUBACK; a stalled link is dropped after stall_s, raising uplink_stall, and the rows go out again', async () => {
      const b = await broker();
      const proxy = await pausableProxy(b.port);
      h.cleanup(() => proxy.close());
      const raised = dbSink(h.db);
      let stalls = 0;
      const f = forwarder(cfg(`mqtt://127.0.0.1:${proxy.port}`, { stall_s: 1 }), {
        events: raised,
        onStall: () => stalls++,
      });
      f.start();
      await waitFor(() => f.state().connected, 5000, 'connected');
      const c = await centre(b.url);

      proxy.pause(); // the path stays "connected" but nothing comes back: no PUBACK
      const rIds = insertReadings(h.db, mixReadings(400, 1_763_892_000_000));
      f.notify();
      await waitFor(() => f.state().inflight > 0, 5000, 'in flight');
      await new Promise((r) => setTimeout(r, 500));
      expect(h.outbox.backlog().readings).toBe(400); // delivered to the broker maybe, but never acked

      await waitFor(() => stalls === 1, 5000, 'stall detected');
      expect(raised.events.map((e) => e.kind)).toEqual(['uplink_stall']);
      expect(f.state().stalls).toBe(1);
      await waitFor(
        () => h.outbox.backlog().readings === 0 && h.outbox.backlog().events === 0,
        15_000,
        'drained',
      );
      const got = readingIdsOf(c.msgs);
      // at-least-once: every id arrived; resends carry the same ids
      expect(new Set(got)).toEqual(new Set(rIds));
      expect(eventsOf(c.msgs).map((e) => e.kind)).toContain('uplink_stall');
    });
  },
);

/**
 * A TCP proxy whose broker→client direction can be paused for the connections open now (a
 * half-open cellular path); connections made later pass normally.
 */
async function pausableProxy(targetPort: number) {
  const paused = new Set<Socket>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (!paused.has(client)) client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    pause: () => {
      for (const s of sockets) paused.add(s);
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
