#!/usr/bin/env node
// Reference consumer for the centre: an EXAMPLE of how to take siaga's uplink into PostgreSQL
// without losing or doubling a reading, not a product (no auth UI, no retention, no alerting).
//
//   CENTRE_MQTT_URL=mqtts://user:pw@broker:8883 PGHOST=… PGDATABASE=… node consumer.mjs
//
// - Persistent sessions (clean: false), QoS 1: what arrives while the consumer is down waits in
//   the broker.
// - A message is acknowledged (PUBACK) only after its rows are committed in PostgreSQL: a crash
//   between the two means the broker sends it again, and the reading id drops the second copy
//   (INSERT … ON CONFLICT DO NOTHING).
// - MQTT.js handles one message per connection at a time (the next waits for this one's PUBACK),
//   so one connection stores one batch at a time. CENTRE_CONSUMERS > 1 connections share the
//   subscription (`$share/<group>/…`: Mosquitto ≥ 1.6, EMQX, VerneMQ; not RabbitMQ) and commit in
//   parallel. Mosquitto 2.0.11 restores a persistent session's shared subscription after its own
//   restart in a state that delivers nothing (seen in bench/fleet): the consumer then subscribes
//   again, but what gateways publish before it does is lost to the centre. With Mosquitto keep the
//   default, one connection with a plain subscription, which survives a broker restart whole.
// - Satu Data daily summaries per village code are counted in the same transaction as the rows.
//
// Environment: CENTRE_MQTT_URL (default mqtt://127.0.0.1:1883), CENTRE_MQTT_USERNAME,
// CENTRE_MQTT_PASSWORD, CENTRE_CLIENT_ID (default siaga-centre), CENTRE_CONSUMERS (default 1;
// more uses a shared subscription), CENTRE_LATENCY=1 (keep end-to-end latencies for the bench),
// and libpq's PG* variables for the database.
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import pg from 'pg';

const env = process.env;
const url = env.CENTRE_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const clientId = env.CENTRE_CLIENT_ID ?? 'siaga-centre';
const consumers = Math.max(1, Number(env.CENTRE_CONSUMERS ?? 1));
const shared = consumers > 1;
const keepLatency = env.CENTRE_LATENCY === '1';
const PREFIX = 'siaga/v1/gw/+';

const schema = readFileSync(new URL('./schema.sql', import.meta.url), 'utf8');

const INSERT_READINGS = `
WITH ins AS (
  INSERT INTO readings (id, gw, node, type, ts, v, radio)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::jsonb[], $7::jsonb[])
  ON CONFLICT (id) DO NOTHING
  RETURNING gw, type, ts, v
), daily AS (
  INSERT INTO satu_data_daily AS d (village_code, day, type, readings, elephant)
  SELECT coalesce(g.village_code, 'gw:' || ins.gw),
         (to_timestamp(ins.ts / 1000.0) AT TIME ZONE 'Asia/Jakarta')::date,
         ins.type, count(*), count(*) FILTER (WHERE ins.v->>'label' = 'elephant')
  FROM ins LEFT JOIN gateways g USING (gw)
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3
  ON CONFLICT (village_code, day, type)
  DO UPDATE SET readings = d.readings + excluded.readings, elephant = d.elephant + excluded.elephant
  RETURNING 1
)
SELECT ts FROM ins`;

const UPSERT_GATEWAY = `
INSERT INTO gateways (gw, village_code, online, status) VALUES ($1, $2, $3, $4)
ON CONFLICT (gw) DO UPDATE SET
  village_code = coalesce(excluded.village_code, gateways.village_code),
  online = excluded.online, status = excluded.status, updated_at = now()`;

const INSERT_EVENT = `
INSERT INTO events (id, gw, kind, ts, body) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`;

/** What the bench reads (over IPC) and what the consumer prints every 10 s when run alone. */
const stats = {
  messages: 0,
  received: 0,
  inserted: 0,
  duplicates: 0,
  dbErrors: 0,
  online: new Set(),
  latencies: [],
  firstInsertAt: 0,
  lastInsertAt: 0,
};

const log = (msg, extra = {}) => {
  // One JSON line on stderr: the centre's own logs, not the data.
  process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), msg, ...extra })}\n`);
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Deadlocks and serialization failures between the parallel connections are retried at once. */
const RETRY_NOW = new Set(['40P01', '40001']);

async function handle(db, topic, payload) {
  const parts = topic.split('/');
  const gw = parts[3];
  const leaf = parts.slice(4).join('/');
  if (leaf === 'readings') {
    const batch = JSON.parse(payload.toString());
    const rs = Array.isArray(batch.readings) ? batch.readings : [];
    const cols = [[], [], [], [], [], [], []];
    for (const r of rs) {
      cols[0].push(String(r.id));
      cols[1].push(gw);
      cols[2].push(String(r.node));
      cols[3].push(String(r.type));
      cols[4].push(Number(r.ts));
      cols[5].push(JSON.stringify(r.v ?? {}));
      cols[6].push(r.radio ? JSON.stringify(r.radio) : null);
    }
    const res = await db.query(INSERT_READINGS, cols);
    const now = Date.now();
    stats.messages++;
    stats.received += rs.length;
    stats.inserted += res.rowCount;
    stats.duplicates += rs.length - res.rowCount;
    if (res.rowCount > 0) {
      if (!stats.firstInsertAt) stats.firstInsertAt = now;
      stats.lastInsertAt = now;
    }
    if (keepLatency) for (const row of res.rows) stats.latencies.push(now - Number(row.ts));
  } else if (leaf === 'status') {
    const s = JSON.parse(payload.toString());
    if (s.online === true) stats.online.add(gw);
    else stats.online.delete(gw);
    await db.query(UPSERT_GATEWAY, [gw, s.site?.village_code ?? null, s.online === true, payload.toString()]);
  } else if (leaf === 'events') {
    const e = JSON.parse(payload.toString());
    await db.query(INSERT_EVENT, [String(e.id), gw, String(e.kind), Number(e.ts), payload.toString()]);
  }
}

/** Until it is committed: a database that is down holds this connection's messages, unacknowledged. */
async function handleUntilStored(db, topic, payload) {
  for (let attempt = 0; ; attempt++) {
    try {
      await handle(db, topic, payload);
      return;
    } catch (err) {
      if (err instanceof SyntaxError) {
        // Not JSON: nothing to retry; acknowledged so it does not block the session forever.
        log('unreadable message dropped', { topic, err: err.message });
        return;
      }
      stats.dbErrors++;
      if (!RETRY_NOW.has(err.code)) {
        log('cannot store, retrying', { topic, err: err.message, attempt });
        await sleep(Math.min(10_000, 200 * 2 ** Math.min(attempt, 6)));
      }
    }
  }
}

async function openDb() {
  for (let attempt = 0; ; attempt++) {
    const db = new pg.Client({ application_name: clientId });
    try {
      await db.connect();
      return db;
    } catch (err) {
      log('cannot reach PostgreSQL, retrying', { err: err.message, attempt });
      await db.end().catch(() => {});
      await sleep(1000);
    }
  }
}

function topics() {
  const leaves = ['readings', 'status', 'events'];
  return leaves.map((l) => (shared ? `$share/${clientId}/${PREFIX}/${l}` : `${PREFIX}/${l}`));
}

async function startConsumer(i) {
  const db = await openDb();
  const client = mqtt.connect(url, {
    clientId: `${clientId}-${i}`,
    clean: false,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    ...(env.CENTRE_MQTT_USERNAME ? { username: env.CENTRE_MQTT_USERNAME } : {}),
    ...(env.CENTRE_MQTT_PASSWORD ? { password: env.CENTRE_MQTT_PASSWORD } : {}),
  });
  // PUBACK only after the commit: MQTT.js acknowledges when this callback is called.
  client.handleMessage = (packet, done) => {
    handleUntilStored(db, packet.topic, packet.payload).then(
      () => done(),
      (err) => done(err),
    );
  };
  client.on('connect', (connack) => {
    // A broker that kept our session kept the subscription too (subscribing again is harmless);
    // one that lost it (RabbitMQ after a node failure) needs it again. A restored shared
    // subscription is only repaired by dropping it first (Mosquitto 2.0.11, see above).
    if (shared && connack.sessionPresent)
      client.unsubscribe(topics(), () => client.subscribe(topics(), { qos: 1 }));
    else client.subscribe(topics(), { qos: 1 });
  });
  client.on('error', (err) => log('mqtt error', { err: err.message, consumer: i }));
  return { client, db };
}

const db0 = await openDb();
await db0.query(schema);
await db0.end();
const running = await Promise.all(Array.from({ length: consumers }, (_, i) => startConsumer(i)));
log('centre consumer running', {
  url: url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:[redacted]@'),
  consumers,
  shared,
});

function snapshot(takeLatencies) {
  const out = { ...stats, online: stats.online.size, latencies: takeLatencies ? stats.latencies : [] };
  if (takeLatencies) stats.latencies = [];
  return out;
}

if (process.send) {
  // Forked by bench/fleet: answer its questions, stop when told.
  process.on('message', async (m) => {
    if (m?.cmd === 'stats') process.send?.({ id: m.id, stats: snapshot(m.latencies === true) });
    if (m?.cmd === 'stop') {
      for (const r of running) {
        await r.client.endAsync().catch(() => {});
        await r.db.end().catch(() => {});
      }
      process.exit(0);
    }
  });
  process.send({ ready: true });
} else {
  let last = 0;
  setInterval(() => {
    const s = snapshot(false);
    log('centre', { readings_per_s: (s.inserted - last) / 10, ...s });
    last = s.inserted;
  }, 10_000);
}
