import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { type Figure, sleep } from '../common.js';
import { Centre } from './centre.js';
import { Fleet, gatewayId } from './fleet.js';
import { startPostgres } from './postgres.js';
import { ensureRabbitmq, startRabbitCluster } from './rabbitmq.js';
import { JITTERED, uplinkFor } from './uplink-config.js';

/**
 * F4: F1's stream against two clustered RabbitMQ nodes, gateways spread over both (gateway i's
 * `uplink.url` is [its node, the other node]), the centre consumer on node B. Half-way through,
 * node A is killed (SIGKILL: a node failure, not a clean stop). Figures: the time until every
 * gateway is connected again (all on B), readings lost by id (must be 0), and what RabbitMQ's MQTT
 * plugin kept: retained status across nodes, Last Wills of the dead node's gateways, and a
 * persistent session that lived on the dead node.
 */

interface F4Args {
  gateways: number;
  workers: number;
  seconds: number;
}

const log = (msg: string) =>
  process.stderr.write(`[fleet F4 ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** Connects and resolves with the CONNACK's session-present flag; rejects after 10 s. */
function connect(
  url: string,
  opts: mqtt.IClientOptions,
): Promise<{ client: MqttClient; sessionPresent: boolean }> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 10_000, ...opts });
    const t = setTimeout(() => {
      client.end(true);
      reject(new Error(`no CONNACK from ${url}`));
    }, 10_000);
    client.once('connect', (ack) => {
      clearTimeout(t);
      resolve({ client, sessionPresent: ack.sessionPresent });
    });
    client.once('error', (e) => {
      clearTimeout(t);
      client.end(true);
      reject(e);
    });
  });
}

/** The retained status a fresh client on `url` gets for one gateway's exact topic (wildcards get none on RabbitMQ). */
async function retainedStatus(
  url: string,
  auth: mqtt.IClientOptions,
  gw: string,
): Promise<string | undefined> {
  const { client } = await connect(url, { ...auth, clean: true });
  let got: string | undefined;
  client.on('message', (_t, p, packet) => {
    if (packet.retain) got = p.toString();
  });
  await client.subscribeAsync(`siaga/v1/gw/${gw}/status`, { qos: 1 });
  await sleep(1500);
  await client.endAsync();
  return got;
}

export async function benchF4(args: F4Args): Promise<Figure[]> {
  ensureRabbitmq(log);
  const dir = mkdtempSync(join(tmpdir(), 'siaga-fleet-rmq-'));
  const passwords = new Map<string, string>();
  for (let i = 0; i < args.gateways; i++) passwords.set(gatewayId(i), randomBytes(12).toString('hex'));
  const centrePw = randomBytes(12).toString('hex');
  const auth = { username: 'centre', password: centrePw };
  log('starting two RabbitMQ nodes and clustering them');
  const cluster = await startRabbitCluster(dir, passwords, ['centre', centrePw]);
  const { a, b } = cluster;
  const pg = await startPostgres();
  let centre: Centre | undefined;
  let fleet: Fleet | undefined;
  const observers: MqttClient[] = [];
  let failed = false;
  try {
    centre = await Centre.start({
      ...pg.env,
      CENTRE_MQTT_URL: b.url,
      CENTRE_MQTT_USERNAME: 'centre',
      CENTRE_MQTT_PASSWORD: centrePw,
      CENTRE_LATENCY: '1',
    });
    // Watches every status message on B (not retained ones: RabbitMQ sends none for wildcards),
    // to see whether the dead node's gateways' Last Wills ever arrive.
    const watch = await connect(b.url, { ...auth, clean: true });
    observers.push(watch.client);
    let offlineStatuses = 0;
    watch.client.on('message', (_t, p) => {
      if (p.toString().includes('"online":false')) offlineStatuses++;
    });
    await watch.client.subscribeAsync('siaga/v1/gw/+/status', { qos: 1 });
    // A centre application with a persistent session on node A: is it there after A dies?
    const onA = await connect(a.url, { ...auth, clientId: 'centre-on-a', clean: false });
    await onA.client.subscribeAsync('siaga/v1/gw/+/readings', { qos: 1 });
    await onA.client.endAsync();

    const { gateways, workers } = args;
    log(`starting ${gateways} gateways (even ones on A first, odd ones on B first)`);
    fleet = await Fleet.start({
      gateways,
      workers,
      uplink: uplinkFor(JITTERED),
      password: (id) => passwords.get(id) ?? '',
      urls: (i) => (i % 2 === 0 ? [a.url, b.url] : [b.url, a.url]),
    });
    await fleet.all({ cmd: 'start' });
    await fleet.until('every gateway online', (s) => s.connected === s.gateways, 300_000);
    const evenGw = gatewayId(0);
    const retainedOnBBefore = await retainedStatus(b.url, auth, evenGw);
    const from = { generated: 0, inserted: (await centre.stats()).inserted };
    await fleet.all({ cmd: 'stream', on: true, perMin: 50 });
    log(`stream on for ${args.seconds} s; node A is killed half-way`);
    await sleep((args.seconds / 2) * 1000);
    a.kill();
    const killedAt = Date.now();
    await fleet.until('the gateways on A to notice', (x) => (x.urls[a.url] ?? 0) === 0, 60_000);
    // Up to 90 s: how many of A's gateways get onto B, and when the last of them did.
    let recover = Number.NaN;
    let recoverWithA = Number.NaN;
    let onB = 0;
    let lastGain = 0;
    while (Date.now() - killedAt < 90_000) {
      const x = await fleet.state();
      const n = x.urls[b.url] ?? 0;
      if (n > onB) {
        onB = n;
        lastGain = (Date.now() - killedAt) / 1000;
      }
      if (n === x.gateways) {
        recover = lastGain;
        break;
      }
      await sleep(250);
    }
    const failedOver = onB - (gateways - Math.ceil(gateways / 2));
    log(
      `${failedOver} of A's ${Math.ceil(gateways / 2)} gateways on B, the last ${lastGain} s after the kill`,
    );
    if (Number.isNaN(recover)) {
      // The others' readings wait in their outboxes; bring A back and see them drain.
      log('not all on B within 90 s; restarting node A');
      await a.restart();
      await fleet.until('every gateway online again', (x) => x.connected === x.gateways, 300_000);
      recoverWithA = (Date.now() - killedAt) / 1000;
      log(`all gateways online ${recoverWithA} s after the kill (node A back)`);
    }
    const bLog = mqttLogLines(b.logFile);
    await sleep(Math.max(0, (args.seconds / 2) * 1000 - (Date.now() - killedAt)));
    await fleet.all({ cmd: 'stream', on: false });
    await fleet.all({ cmd: 'flush' });
    const gen = (await fleet.state()).generated;
    // Until everything arrived, or the centre stored nothing new for 30 s with the gateways drained
    // (then what is missing is lost, not late), at most 10 min.
    const deadline = Date.now() + 600_000;
    let last = -1;
    let quietSince = Date.now();
    let atGateways = 0;
    while (Date.now() < deadline) {
      const [st, c] = await Promise.all([fleet.state(), centre.stats()]);
      atGateways = st.backlog;
      if (st.backlog === 0 && c.inserted - from.inserted >= gen) break;
      if (c.inserted !== last) {
        last = c.inserted;
        quietSince = Date.now();
      } else if (st.backlog === 0 && Date.now() - quietSince > 30_000) break;
      await sleep(500);
    }
    if (atGateways > 0) log(`${atGateways} readings still queued at the gateways`);
    const stored = Number(pg.sql('SELECT count(*) FROM readings'));
    const lost = Math.max(0, gen - stored);
    const c = await centre.stats();
    const retainedOnBAfter = await retainedStatus(b.url, auth, evenGw);
    // The session that lived on A, resumed on B.
    let sessionOnA = 'not resumed';
    try {
      const again = await connect(b.url, { ...auth, clientId: 'centre-on-a', clean: false });
      observers.push(again.client);
      let msgs = 0;
      again.client.on('message', () => msgs++);
      sessionOnA = again.sessionPresent ? 'session present on B' : 'no session on B (new, empty)';
      await sleep(2000);
      sessionOnA += `, ${msgs} queued messages delivered`;
    } catch (e) {
      sessionOnA = `refused on B: ${e instanceof Error ? e.message : String(e)}`;
    }
    return [
      {
        figure: 'F4 failed over',
        value: failedOver,
        unit: 'gateways',
        notes: `of ${Math.ceil(gateways / 2)} on the killed node A got onto B within 90 s, the last ${lastGain.toFixed(1)} s after the kill`,
      },
      {
        figure: 'F4 recover',
        value: Number.isNaN(recover) ? recoverWithA : recover,
        unit: 's',
        notes: Number.isNaN(recover)
          ? `all ${gateways} online only with A restarted (after the bench's 90 s wait); B refused the rest: ${bLog}`
          : `node A killed (SIGKILL) → all ${gateways} gateways connected to B (jittered backoff, url list)`,
      },
      {
        figure: 'F4 lost by id',
        value: lost,
        unit: 'readings',
        target: '0',
        pass: lost === 0,
        notes: `${gen} generated; ${atGateways} still queued at the gateways when the bench stopped waiting`,
      },
      {
        figure: 'F4 duplicates before dedup',
        value: c.duplicates,
        unit: 'readings',
        notes: 'dropped by ON CONFLICT',
      },
      {
        figure: 'F4 Last Wills seen',
        value: offlineStatuses,
        unit: 'messages',
        notes: `of ${Math.ceil(gateways / 2)} gateways on the killed node`,
      },
      {
        figure: 'F4 retained across nodes',
        value: retainedOnBBefore ? 1 : 0,
        unit: 'bool',
        notes: `status of ${evenGw} (published on A) read on B before the kill: ${retainedOnBBefore ? 'yes' : 'no'}; after its failover: ${retainedOnBAfter ? 'yes' : 'no'}`,
      },
      { figure: 'F4 session on dead node', value: Number.NaN, unit: '', notes: sessionOnA },
    ];
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    for (const o of observers) o.end(true);
    await fleet?.stop();
    await centre?.stop();
    await pg.stop();
    await cluster.stop();
    // A failed run keeps the nodes' logs: whether a node failed to rejoin or the gateways stopped
    // trying is in them, and nowhere else.
    if (failed || process.env.SIAGA_FLEET_KEEP === '1') log(`kept ${dir} (the RabbitMQ nodes' logs)`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** The node's log lines about MQTT connections that failed (why B refused the failed-over gateways). */
function mqttLogLines(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => /mqtt/i.test(l) && /(error|timeout|refus|fail)/i.test(l));
    return lines.length
      ? `${lines.length} lines like "${(lines.at(-1) ?? '').slice(0, 300)}"`
      : 'nothing about MQTT';
  } catch {
    return 'no log';
  }
}
