import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { type Figure, fmtNum, percentile, sleep } from '../common.js';
import { Centre } from './centre.js';
import { Fleet, gatewayId } from './fleet.js';
import { CENTRE_USER, type FleetBroker, startFleetBroker } from './mosquitto.js';
import { type Postgres, startPostgres } from './postgres.js';
import { cpuSeconds, rssMb, treeCpuSeconds } from './procstat.js';
import { FIXED_1S, JITTERED, uplinkFor } from './uplink-config.js';

/**
 * `npm run bench:fleet [-- F1 F2 F3 F4] [--gateways 650] [--workers 4] [--seconds 60]
 * [--outage 60] [--queued 3000] [--consumers 1]`: the centre side of issue 18. N gateways' real uplink code in a
 * few worker processes against one Mosquitto configured as the README tells operators to (or two
 * clustered RabbitMQ nodes, F4), the reference consumer (scripts/centre) into a PostgreSQL the
 * bench starts itself. Prints a table and writes bench/results/fleet-latest.json. Not in CI.
 */

interface Args {
  scenarios: string[];
  gateways: number;
  workers: number;
  seconds: number;
  outage: number;
  queued: number;
  /** Connections of the centre consumer (more than 1: a shared subscription). */
  consumers: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    scenarios: [],
    gateways: 650,
    workers: 4,
    seconds: 60,
    outage: 60,
    queued: 3000,
    consumers: 1,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i] ?? '';
    const num = () => Number(argv[++i]);
    if (k === '--gateways') a.gateways = num();
    else if (k === '--workers') a.workers = num();
    else if (k === '--seconds') a.seconds = num();
    else if (k === '--outage') a.outage = num();
    else if (k === '--queued') a.queued = num();
    else if (k === '--consumers') a.consumers = num();
    else if (/^F[1-4]$/.test(k)) a.scenarios.push(k);
    else throw new Error(`unknown argument ${k}; see the comment at the top of bench/fleet/run.ts`);
  }
  if (a.scenarios.length === 0) a.scenarios = ['F1', 'F2', 'F3'];
  return a;
}

const log = (msg: string) =>
  process.stderr.write(`[fleet ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

interface Rig {
  args: Args;
  pg: Postgres;
  broker: FleetBroker;
  centre: Centre;
  passwords: Map<string, string>;
  dir: string;
}

async function startRig(args: Args, mqttDir: string): Promise<Rig> {
  const passwords = new Map<string, string>();
  for (let i = 0; i < args.gateways; i++) passwords.set(gatewayId(i), randomBytes(12).toString('hex'));
  const centrePassword = randomBytes(12).toString('hex');
  log('starting PostgreSQL');
  const pg = await startPostgres();
  log(`starting Mosquitto (${args.gateways} gateway logins, ACL, persistence)`);
  const broker = await startFleetBroker(mqttDir, {
    gateways: passwords,
    centrePassword,
    maxQueuedMessages: 100_000,
  });
  const centre = await Centre.start({
    ...pg.env,
    CENTRE_MQTT_URL: broker.url,
    CENTRE_MQTT_USERNAME: CENTRE_USER,
    CENTRE_MQTT_PASSWORD: centrePassword,
    CENTRE_LATENCY: '1',
    CENTRE_CONSUMERS: String(args.consumers),
  });
  // The slow consumer (F3) logs in as the centre too.
  process.env.SIAGA_FLEET_CENTRE_PASSWORD = centrePassword;
  return { args, pg, broker, centre, passwords, dir: mqttDir };
}

async function startFleet(rig: Rig, backoff: { min_ms: number; max_ms: number }): Promise<Fleet> {
  const { args, broker, passwords } = rig;
  log(`starting ${args.gateways} gateways in ${args.workers} processes`);
  const fleet = await Fleet.start({
    gateways: args.gateways,
    workers: args.workers,
    uplink: uplinkFor(backoff),
    password: (id) => passwords.get(id) ?? '',
    urls: () => [broker.url],
  });
  await fleet.all({ cmd: 'start' });
  const s = await fleet.until('every gateway online', (x) => x.connected === x.gateways, 300_000);
  log(`${s.connected} gateways online`);
  return fleet;
}

/** Waits until the centre has stored every reading the fleet generated (or times out). */
async function untilCentreHasAll(rig: Rig, fleet: Fleet, from: Mark, ms: number): Promise<void> {
  await fleet.all({ cmd: 'flush' });
  const deadline = Date.now() + ms;
  for (;;) {
    const [s, c] = await Promise.all([fleet.state(), rig.centre.stats()]);
    const want = s.generated - from.generated;
    if (c.inserted - from.inserted >= want && s.backlog === 0) return;
    if (Date.now() > deadline) {
      log(`centre has ${c.inserted - from.inserted} of ${want} (backlog ${s.backlog}); giving up waiting`);
      return;
    }
    await sleep(500);
  }
}

/** Where a scenario starts: what the fleet generated and the centre stored so far. */
interface Mark {
  at: number;
  generated: number;
  inserted: number;
  perGateway: Record<string, number>;
}

async function mark(rig: Rig, fleet: Fleet): Promise<Mark> {
  const [s, c] = await Promise.all([fleet.state(true), rig.centre.stats()]);
  return { at: Date.now(), generated: s.generated, inserted: c.inserted, perGateway: s.perGateway ?? {} };
}

/**
 * Nothing lost by id: for every gateway, the readings it generated since `from` are all in
 * PostgreSQL (the primary key makes each id one row; ids are never reused, so a count per gateway
 * over the rows stored since then is a count of distinct ids).
 */
async function lostById(rig: Rig, fleet: Fleet, from: Mark): Promise<number> {
  const end = (await fleet.state(true)).perGateway ?? {};
  const rows = rig.pg
    .sql(
      `SELECT gw, count(*) FROM readings WHERE received_at >= to_timestamp(${(from.at - 1000) / 1000}) GROUP BY gw`,
    )
    .split('\n')
    .filter(Boolean);
  const stored = new Map(rows.map((r) => r.split('|') as [string, string]).map(([g, n]) => [g, Number(n)]));
  let lost = 0;
  for (const [g, n] of Object.entries(end))
    lost += Math.max(0, n - (from.perGateway[g] ?? 0) - (stored.get(g) ?? 0));
  return lost;
}

// ------------------------------------------------------------------ F1

async function f1(rig: Rig, fleet: Fleet, figures: Figure[], label = 'F1'): Promise<void> {
  const { seconds } = rig.args;
  await rig.centre.stats(true);
  const from = await mark(rig, fleet);
  await fleet.all({ cmd: 'stream', on: true, perMin: 50 });
  const warm = Math.min(15, Math.max(5, seconds / 4));
  log(`${label}: ${rig.args.gateways} × 50 nodes × 1/min, warming up ${warm} s`);
  await sleep(warm * 1000);
  await rig.centre.stats(true); // drop the warm-up's latencies
  const pid = rig.broker.pid();
  const t0 = performance.now();
  const b0 = cpuSeconds(pid);
  const pg0 = treeCpuSeconds(rig.pg.pid);
  const cc0 = cpuSeconds(rig.centre.pid);
  const w0 = fleet.pids().reduce((s, p) => s + cpuSeconds(p), 0);
  const s0 = await fleet.state();
  const i0 = (await rig.centre.stats()).inserted;
  let rssMax = 0;
  while (performance.now() - t0 < seconds * 1000) {
    await sleep(2000);
    rssMax = Math.max(rssMax, rssMb(pid));
  }
  const el = (performance.now() - t0) / 1000;
  const c1 = await rig.centre.stats(true);
  const s1 = await fleet.state();
  const brokerCpu = ((cpuSeconds(pid) - b0) / el) * 100;
  const pgCpu = ((treeCpuSeconds(rig.pg.pid) - pg0) / el) * 100;
  const centreCpu = ((cpuSeconds(rig.centre.pid) - cc0) / el) * 100;
  const workersCpu = ((fleet.pids().reduce((s, p) => s + cpuSeconds(p), 0) - w0) / el) * 100;
  await fleet.all({ cmd: 'stream', on: false });
  await untilCentreHasAll(rig, fleet, from, 120_000);
  const lost = await lostById(rig, fleet, from);
  const offered = (s1.generated - s0.generated) / el;
  const stored = (c1.inserted - i0) / el;
  const lat = c1.latencies;
  const n = rig.args.gateways;
  figures.push(
    {
      figure: `${label} offered`,
      value: offered,
      unit: 'readings/s',
      notes: `${n} gateways × 50 nodes × 1/min`,
    },
    {
      figure: `${label} stored`,
      value: stored,
      unit: 'readings/s',
      notes: 'committed in PostgreSQL by the consumer',
    },
    {
      figure: `${label} e2e p50`,
      value: percentile(lat, 0.5),
      unit: 'ms',
      notes: `reading ts → committed at the centre; ${lat.length} readings`,
    },
    {
      figure: `${label} e2e p99`,
      value: percentile(lat, 0.99),
      unit: 'ms',
      notes: 'includes the gateway defaults: routine readings share a commit ≤ 5 s, batches wait ≤ 1 s',
    },
    {
      figure: `${label} broker CPU`,
      value: brokerCpu,
      unit: '% of a core',
      notes: `Mosquitto, RSS max ${fmtNum(rssMax)} MB`,
    },
    {
      figure: `${label} consumer CPU`,
      value: centreCpu,
      unit: '% of a core',
      notes: `PostgreSQL ${fmtNum(pgCpu)} %`,
    },
    {
      figure: `${label} gateways CPU`,
      value: workersCpu,
      unit: '% of a core',
      notes: `${rig.args.workers} processes`,
    },
    { figure: `${label} lost by id`, value: lost, unit: 'readings', target: '0', pass: lost === 0 },
  );
}

// ------------------------------------------------------------------ F2

async function f2(rig: Rig, variant: 'jittered' | 'fixed 1 s', figures: Figure[]): Promise<void> {
  const { args, broker } = rig;
  const fleet = await startFleet(rig, variant === 'jittered' ? JITTERED : FIXED_1S);
  try {
    const from = await mark(rig, fleet);
    const c0 = await rig.centre.stats();
    await fleet.all({ cmd: 'stream', on: true, perMin: 50 });
    await sleep(5000);
    log(`F2 (${variant}): the centre goes down mid-stream`);
    await broker.stop();
    await fleet.all({ cmd: 'stream', on: false });
    log(`F2: each gateway queues ${args.queued} readings (the hour's), outage ${args.outage} s`);
    await fleet.all({ cmd: 'prefill', count: args.queued });
    await sleep(args.outage * 1000);
    const queued = (await fleet.state()).backlog;
    const t0 = Date.now();
    await broker.start();
    log(`F2: centre back; ${queued} readings queued at the gateways`);
    let allOnline = Number.NaN;
    let drained = Number.NaN;
    const deadline = t0 + 1_200_000;
    for (;;) {
      const s = await fleet.state();
      const now = Date.now();
      if (Number.isNaN(allOnline) && s.connected === s.gateways) allOnline = (now - t0) / 1000;
      if (!Number.isNaN(allOnline) && s.backlog === 0) {
        drained = (now - t0) / 1000;
        break;
      }
      if (now > deadline) break;
      await sleep(250);
    }
    const genTotal = (await fleet.state()).generated;
    await untilCentreHasAll(rig, fleet, from, 600_000);
    const atCentre = ((await rig.centre.stats()).lastInsertAt - t0) / 1000;
    const c1 = await rig.centre.stats();
    const perS = broker.connectsPerSecond(Math.floor(t0 / 1000));
    const peak = Math.max(0, ...perS.values());
    const lost = await lostById(rig, fleet, from);
    const dupAfter = Number(rig.pg.sql('SELECT count(*) - count(DISTINCT id) FROM readings'));
    const tag = `F2 ${variant}`;
    figures.push(
      {
        figure: `${tag} all online`,
        value: allOnline,
        unit: 's',
        notes: `after the restart; ${args.gateways} gateways`,
      },
      {
        figure: `${tag} drained`,
        value: drained,
        unit: 's',
        notes: `${fmtNum(queued)} queued readings PUBACKed`,
      },
      {
        figure: `${tag} at centre`,
        value: atCentre,
        unit: 's',
        notes: 'last reading committed in PostgreSQL',
      },
      { figure: `${tag} peak connects`, value: peak, unit: '/s', notes: 'from the broker log' },
      {
        figure: `${tag} duplicates before dedup`,
        value: c1.duplicates - c0.duplicates,
        unit: 'readings',
        notes: 'ids that arrived twice (PUBACK lost in the restart)',
      },
      {
        figure: `${tag} duplicates after dedup`,
        value: dupAfter,
        unit: 'readings',
        target: '0',
        pass: dupAfter === 0,
      },
      { figure: `${tag} lost by id`, value: lost, unit: 'readings', target: '0', pass: lost === 0 },
    );
    log(
      `F2 (${variant}): generated ${genTotal}, all online ${allOnline} s, drained ${drained} s, peak ${peak}/s`,
    );
  } finally {
    await fleet.stop();
  }
}

// ------------------------------------------------------------------ F3

async function f3(rig: Rig, fleet: Fleet, figures: Figure[]): Promise<void> {
  const { broker, args } = rig;
  // A centre application that reads 100 messages a second, on a persistent session of its own.
  const slowIds = new Set<string>();
  let slowMsgs = 0;
  let delayMs = 10;
  const slow = mqtt.connect(broker.url, {
    clientId: 'centre-slow',
    clean: false,
    username: CENTRE_USER,
    password: process.env.SIAGA_FLEET_CENTRE_PASSWORD ?? '',
    reconnectPeriod: 1000,
  });
  slow.handleMessage = (packet, done) => {
    slowMsgs++;
    try {
      for (const r of JSON.parse(packet.payload.toString()).readings as { id: string }[]) slowIds.add(r.id);
    } catch {
      // not a batch
    }
    setTimeout(() => done(), delayMs);
  };
  await new Promise<void>((r) => slow.once('connect', () => r()));
  await slow.subscribeAsync('siaga/v1/gw/+/readings', { qos: 1 });
  const from = await mark(rig, fleet);
  const g0 = from.generated;
  const pid = broker.pid();
  const rss: number[] = [rssMb(pid)];
  await fleet.all({ cmd: 'stream', on: true, perMin: 50 });
  log(`F3: one slow consumer at 100 msg/s for ${args.seconds} s`);
  const t0 = performance.now();
  while (performance.now() - t0 < args.seconds * 1000) {
    await sleep(2000);
    rss.push(rssMb(pid));
  }
  await fleet.all({ cmd: 'stream', on: false });
  const behind = (await fleet.state()).generated - g0 - slowIds.size;
  await untilCentreHasAll(rig, fleet, from, 120_000);
  const end = await fleet.state();
  const lost = await lostById(rig, fleet, from);
  // Then the slow reader catches up at full speed: its session must hold everything it missed.
  delayMs = 0;
  const want = end.generated - g0;
  const deadline = Date.now() + 300_000;
  while (slowIds.size < want && Date.now() < deadline) await sleep(500);
  await slow.endAsync();
  const slowLost = want - slowIds.size;
  figures.push(
    { figure: 'F3 broker RSS start', value: rss[0] ?? Number.NaN, unit: 'MB' },
    {
      figure: 'F3 broker RSS max',
      value: Math.max(...rss),
      unit: 'MB',
      notes: `the slow session's queue: ${fmtNum(behind)} readings behind at the end; bounded by max_queued_messages 100,000`,
    },
    { figure: 'F3 centre lost by id', value: lost, unit: 'readings', target: '0', pass: lost === 0 },
    {
      figure: 'F3 slow consumer lost',
      value: slowLost,
      unit: 'readings',
      target: '0',
      pass: slowLost === 0,
      notes: `${slowMsgs} messages read, caught up after the stream`,
    },
  );
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const figures: Figure[] = [];
  const mqttDir = mkdtempSync(join('/tmp', 'siaga-fleet-mqtt-'));
  const needsMosquitto = args.scenarios.some((s) => s !== 'F4');
  let rig: Rig | undefined;
  try {
    if (needsMosquitto) rig = await startRig(args, mqttDir);
    if (rig && (args.scenarios.includes('F1') || args.scenarios.includes('F3'))) {
      const fleet = await startFleet(rig, JITTERED);
      try {
        if (args.scenarios.includes('F1')) await f1(rig, fleet, figures);
        if (args.scenarios.includes('F3')) await f3(rig, fleet, figures);
      } finally {
        await fleet.stop();
      }
    }
    if (rig && args.scenarios.includes('F2')) {
      await f2(rig, 'jittered', figures);
      await f2(rig, 'fixed 1 s', figures);
    }
    if (args.scenarios.includes('F4')) {
      const { benchF4 } = await import('./f4-rabbitmq.js');
      figures.push(...(await benchF4(args)));
    }
  } finally {
    if (rig) {
      await rig.centre.stop();
      await rig.broker.stop();
      await rig.pg.stop();
    }
    rmSync(mqttDir, { recursive: true, force: true });
  }
  printTable(figures);
  writeResults(args, figures);
}

function printTable(figures: Figure[]): void {
  const rows = figures.map((f) => [
    f.figure,
    `${fmtNum(f.value)} ${f.unit}`,
    f.target ? `${f.target} ${f.pass ? 'PASS' : 'FAIL'}` : '',
    f.notes ?? '',
  ]);
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length), 6));
  for (const r of rows)
    process.stdout.write(`${r.map((c, i) => (i < 3 ? c.padEnd(w[i] ?? 0) : c)).join('  ')}\n`);
}

function writeResults(args: Args, figures: Figure[]): void {
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = join(here, '..', '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(
    dir,
    args.scenarios.length >= 3
      ? 'fleet-latest.json'
      : `fleet-partial-${args.scenarios.join('-')}${args.consumers > 1 ? `-c${args.consumers}` : ''}.json`,
  );
  const machine = {
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    mem_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: release(),
    date: new Date().toISOString(),
  };
  writeFileSync(file, `${JSON.stringify({ machine, args, figures }, null, 2)}\n`);
  log(`wrote ${file}`);
}

main().catch((e) => {
  process.stderr.write(`bench:fleet failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
