import { join } from 'node:path';
import { type Reading, systemClock } from '../../src/domain/index.js';
import { type Db, openDb } from '../../src/store/db.js';
import { Outbox } from '../../src/store/outbox.js';
import { StoreWriter } from '../../src/store/writer.js';
import { Forwarder } from '../../src/uplink/forwarder.js';
import { idFactory } from '../../src/util/ids.js';
import { silentLog } from '../common.js';
import type { ToWorker, WorkerGateway, WorkerState, WorkerUplink } from './protocol.js';

/**
 * One worker process of the fleet bench: a slice of the gateways, each with the REAL uplink of a
 * gateway (its own SQLite file, the StoreWriter's group commit into readings + outbox, the
 * Forwarder with its own client id, Last Will, retained status and backoff) and its own stream of
 * readings from 50 nodes at one reading a minute each. Driven over IPC by bench/fleet/run.ts.
 */

const NODES = 50;
const TYPES = ['hb', 'pir', 'seis', 'hb', 'beam', 'fence', 'hb', 'pir', 'cam', 'seis'] as const;

interface Gw {
  cfg: WorkerGateway;
  db: Db;
  outbox: Outbox;
  writer: StoreWriter;
  fwd: Forwarder;
  id: (ts: number) => string;
  seq: number;
  /** Readings owed to the stream (fractional), so 50 a minute come out evenly. */
  credit: number;
  generated: number;
}

const gws: Gw[] = [];
let streamTimer: NodeJS.Timeout | undefined;
const startedAt = Date.now();

function reading(g: Gw, ts: number): Reading {
  const i = g.seq++;
  const node = `n-${String(i % NODES).padStart(2, '0')}`;
  const type = TYPES[i % TYPES.length] ?? 'hb';
  const v: Record<string, number | string> =
    type === 'hb'
      ? { bat: 3.7, rssi: -70 - (i % 30) }
      : type === 'pir'
        ? { n: i % 7 === 0 ? 1 : 0, bat: 3.6 }
        : type === 'seis'
          ? { pgv: (i % 40) / 100, f: 8.5 }
          : type === 'beam'
            ? { cut: 0, bat: 3.6 }
            : type === 'fence'
              ? { kv: 6.2, bat: 12.6 }
              : { label: 'animal', conf: 0.7, bat: 3.9 };
  g.generated++;
  return { id: g.id(ts), node, seq: i, type, ts, via: 'serial', v, clockOk: true };
}

function build(dir: string, c: WorkerGateway, base: WorkerUplink): Gw {
  const db = openDb(join(dir, `${c.id}.db`));
  const outbox = new Outbox(db);
  const g = { cfg: c, db, outbox, seq: 0, credit: Math.random(), generated: 0, id: idFactory() } as Gw;
  // The gateway's defaults: evidence within 5 ms, routine readings share a commit for up to 5 s.
  g.writer = new StoreWriter({
    db,
    log: silentLog,
    options: { maxRows: 1000, maxDelayMs: 5, routineDelayMs: 5000 },
    onCommit: (info) => {
      g.fwd.committed(info.readings, info.firstRid);
      g.fwd.notify();
    },
  });
  g.fwd = new Forwarder({
    config: { ...base, url: c.urls, username: c.id, password: c.password },
    gatewayId: c.id,
    villageCode: c.village,
    outbox,
    clock: systemClock,
    log: silentLog,
    onReadingsDelivered: (ids) => g.writer.markReadingsDelivered(ids),
    status: () => ({
      version: '0.1.0-fleet',
      uptime_s: Math.round((Date.now() - startedAt) / 1000),
      site: { name: `Desa ${c.id}`, village_code: c.village, park: 'Way Kambas', lat: -5, lon: 105.7 },
      clock_ok: true,
      levels: { 'z-edge': 'NORMAL' },
      nodes: { total: NODES, offline: 0 },
    }),
  });
  return g;
}

function stream(on: boolean, perMin: number): void {
  if (streamTimer) clearInterval(streamTimer);
  streamTimer = undefined;
  if (!on) return;
  let last = performance.now();
  streamTimer = setInterval(() => {
    const now = performance.now();
    const dt = (now - last) / 1000;
    last = now;
    const ts = Date.now();
    for (const g of gws) {
      g.credit += (perMin / 60) * dt;
      while (g.credit >= 1) {
        g.credit -= 1;
        const r = reading(g, ts);
        g.writer.addReading(r);
        if (g.writer.isPending(r)) g.fwd.offer(r);
      }
    }
  }, 100);
}

/** An hour of readings that could not be sent: straight into each outbox, ts spread over the hour. */
function prefill(count: number): void {
  const t0 = Date.now() - 3600_000;
  for (const g of gws) {
    for (let k = 0; k < count; k++) g.writer.addReading(reading(g, t0 + Math.floor((k * 3600_000) / count)));
    g.writer.flush();
  }
}

function state(perGateway: boolean): WorkerState {
  let connected = 0;
  let backlog = 0;
  let generated = 0;
  const urls: Record<string, number> = {};
  for (const g of gws) {
    const s = g.fwd.state();
    if (s.connected) {
      connected++;
      if (s.url) urls[s.url] = (urls[s.url] ?? 0) + 1;
    }
    backlog += s.backlog.readings + s.backlog.events + g.writer.pending;
    generated += g.generated;
  }
  return {
    gateways: gws.length,
    connected,
    backlog,
    generated,
    urls,
    ...(perGateway ? { perGateway: Object.fromEntries(gws.map((g) => [g.cfg.id, g.generated])) } : {}),
  };
}

process.on('message', async (m: ToWorker) => {
  const reply = (body: Record<string, unknown> = {}) => process.send?.({ id: m.id, ...body });
  try {
    if (m.cmd === 'init') {
      for (const c of m.gateways) gws.push(build(m.dir, c, m.uplink));
      reply();
    } else if (m.cmd === 'start') {
      for (const g of gws) g.fwd.start();
      reply();
    } else if (m.cmd === 'stream') {
      stream(m.on, m.perMin ?? 50);
      reply();
    } else if (m.cmd === 'flush') {
      for (const g of gws) g.writer.flush();
      reply();
    } else if (m.cmd === 'prefill') {
      prefill(m.count);
      reply();
    } else if (m.cmd === 'state') {
      reply({ state: state(m.perGateway === true) });
    } else if (m.cmd === 'stop') {
      stream(false, 0);
      await Promise.all(gws.map((g) => g.fwd.stop(500)));
      for (const g of gws) {
        g.writer.close();
        g.db.close();
      }
      reply();
      process.exit(0);
    }
  } catch (e) {
    reply({ error: e instanceof Error ? e.message : String(e) });
  }
});
process.send?.({ ready: true });
