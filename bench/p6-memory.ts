import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createPtyPair, type PtyPair } from '../src/sim/pty.js';
import { openDb } from '../src/store/db.js';
import { emptyNodeState, type NodeState } from '../src/store/node-state.js';
import { StoreWriter } from '../src/store/writer.js';
import { idFactory } from '../src/util/ids.js';
import { startBenchBroker } from './broker.js';
import { type Child, every, mb, PtyFeeder, procStatus, realisticTick, startChild, TICK_MS } from './child.js';
import {
  benchNodes,
  type Figure,
  median,
  nth,
  removeScratch,
  round,
  scratchDir,
  silentLog,
  sleep,
} from './common.js';

/**
 * P6: resident memory with 50 nodes at realistic rates and a 24 h backlog in the outbox. Each
 * variant is a gateway in its own child process (bench/p67-child.ts), fed over a real serial port
 * (a socat pty this process writes SG1 lines into); VmRSS is read from /proc/<pid>/status every
 * 500 ms from the moment it is ready, through a 5 s warm-up and 30 s more. Variants side by side:
 * - the 24 h backlog, uplink to an unreachable broker (mqtt://127.0.0.1:1, backoff 1–10 s): the
 *   backlog stays and the forwarder keeps reconnecting;
 * - the same backlog draining to a real Mosquitto (QoS 1) while sampled;
 * - no backlog, no uplink, same feed: what the backlog and the uplink add;
 * - the floor: the same modules loaded in a Node process, no gateway started.
 *
 * The rate ("realistic"): every node sends a heartbeat every 60 s (50 nodes spread evenly, one
 * frame every 1.2 s), and each of the 40 sensor nodes also a quiet sensor frame every 2 minutes:
 * 70 frames/min, 100,800 readings a day. The backlog is exactly that schedule over the 24 h before
 * start, written with StoreWriter (readings + outbox + node_state, 1000 per commit), a third of the
 * nodes with LoRa radio metadata, as if the uplink had been down for a day.
 */

// ------------------------------------------------------------------ the backlog

/**
 * Writes `hours` of the realistic schedule, ending now, into a fresh database at `path`: readings,
 * their outbox rows and node_state, with StoreWriter, 1000 readings per commit. Returns the number
 * of readings and, in `seqs`, each node's last seq (the live feed continues from there).
 */
export function buildBacklog(path: string, hours: number, seqs: Map<string, number>): number {
  const nodes = benchNodes();
  const db = openDb(path);
  const writer = new StoreWriter({ db, log: silentLog, options: { maxRows: 1000, maxDelayMs: 60_000 } });
  const id = idFactory();
  const ticks = Math.round((hours * 3600_000) / TICK_MS);
  const t0 = Date.now() - ticks * TICK_MS;
  const states = new Map<string, NodeState>(nodes.map((n) => [n.id, emptyNodeState(n.id)]));
  let count = 0;
  for (let i = 0; i < ticks; i++) {
    const k = i % nodes.length;
    const lora = k % 3 === 0;
    const ts = t0 + i * TICK_MS;
    for (const [j, f] of realisticTick(nodes, seqs, i).entries()) {
      const s = { ...(states.get(f.node) ?? emptyNodeState(f.node)) };
      const bat = typeof f.v.bat === 'number' ? f.v.bat : s.bat;
      const radio = lora ? { rssi: -80 - (i % 25), snr: 7.5 + (i % 30) / 10, freq: 922.2, sf: 9 } : undefined;
      const rssi = radio?.rssi ?? null;
      Object.assign(s, { seq: f.seq, frames: s.frames + 1, last_seen: ts + j, bat, rssi, online: true });
      states.set(f.node, s);
      writer.addReading(
        {
          id: id(ts + j),
          node: f.node,
          seq: f.seq,
          type: f.type,
          ts: ts + j,
          via: lora ? 'lora' : 'serial',
          v: f.v,
          ...(radio ? { radio } : {}),
          clockOk: true,
        },
        s,
      );
      count++;
    }
  }
  writer.flush();
  writer.close();
  db.close();
  return count;
}

// ------------------------------------------------------------------ P6

interface Variant {
  name: string;
  short: string;
  backlog: boolean;
  uplink?: 'unreachable' | 'mosquitto';
  bare?: boolean;
}

const VARIANTS: Variant[] = [
  { name: '24 h backlog, broker unreachable', short: 'unreachable', backlog: true, uplink: 'unreachable' },
  { name: '24 h backlog draining to Mosquitto', short: 'drain', backlog: true, uplink: 'mosquitto' },
  { name: 'no backlog, no uplink, same feed', short: 'no backlog', backlog: false },
  { name: 'floor: Node + the modules, no gateway', short: 'floor', backlog: false, bare: true },
];

export async function benchP6(opts: { warmupS?: number; seconds?: number } = {}): Promise<Figure[]> {
  const warmupS = opts.warmupS ?? 5;
  const seconds = opts.seconds ?? 30;
  const dir = scratchDir('p6');
  const nodes = benchNodes();
  const children: Child[] = [];
  const ptys: PtyPair[] = [];
  const feeders: PtyFeeder[] = [];
  const withBacklog: PtyFeeder[] = [];
  const without: PtyFeeder[] = [];
  let broker: { url: string; stop(): Promise<void> } | undefined;
  let feed: { stop(): void } | undefined;
  try {
    // The backlog, once, then copied for each variant that starts with it.
    const seqs = new Map<string, number>();
    const master = join(dir, 'backlog.db');
    const t0 = Date.now();
    const readings = buildBacklog(master, 24, seqs);
    const buildS = (Date.now() - t0) / 1000;
    broker = await startBenchBroker(join(dir, 'mosq'));
    for (const [k, v] of VARIANTS.entries()) {
      const sub = join(dir, `v${k}`);
      mkdirSync(sub, { recursive: true });
      if (v.backlog) copyFileSync(master, join(sub, 'siaga.db'));
      let serial: string | undefined;
      if (!v.bare) {
        const pty = await createPtyPair(sub);
        ptys.push(pty);
        const feeder = new PtyFeeder(pty);
        feeders.push(feeder);
        (v.backlog ? withBacklog : without).push(feeder);
        serial = pty.a;
      }
      const uplinkYaml =
        v.uplink === 'unreachable'
          ? '{url: "mqtt://127.0.0.1:1", backoff: {min_ms: 1000, max_ms: 10000}}'
          : v.uplink === 'mosquitto'
            ? `{url: "${broker.url}"}`
            : undefined;
      children.push(
        await startChild(`P6 ${v.short}`, {
          dir: sub,
          ...(serial ? { serial } : {}),
          ...(uplinkYaml ? { uplinkYaml } : {}),
          ...(v.bare ? { bare: true } : {}),
        }),
      );
    }
    // Variants without the backlog start their nodes' seq from 1; they all get the same frames.
    const fresh = new Map<string, number>();
    const ticksPerDay = Math.round((24 * 3600_000) / TICK_MS);
    feed = every((i) => {
      const frames = realisticTick(nodes, seqs, i);
      const freshFrames = realisticTick(nodes, fresh, i);
      for (const p of withBacklog) p.send(frames);
      for (const p of without) p.send(freshFrames);
    }, ticksPerDay);

    const samples: { at: number; rss: number[] }[] = [];
    const start = Date.now();
    while (Date.now() - start < (warmupS + seconds) * 1000) {
      samples.push({ at: (Date.now() - start) / 1000, rss: children.map((c) => procStatus(c.pid).vmRss) });
      await sleep(500);
    }
    feed.stop();
    const finals = await Promise.all(children.map((c) => c.ask('final')));
    const statuses = children.map((c) => procStatus(c.pid));

    const figures: Figure[] = [];
    for (const [k, v] of VARIANTS.entries()) {
      const all = samples.map((s) => nth(s.rss, k));
      const after = samples.filter((s) => s.at >= warmupS).map((s) => nth(s.rss, k));
      const last10 = after.slice(-20);
      const first10 = after.slice(0, 20);
      const peak = Math.max(...all);
      const steady = median(last10);
      const st = nth(statuses, k);
      const f = nth(finals, k);
      const heap = f.mem.heapUsed / 2 ** 20;
      const ext = (f.mem.external + f.mem.arrayBuffers) / 2 ** 20;
      const drift = mb(median(last10) - median(first10));
      const uplinkNote =
        v.uplink === 'mosquitto'
          ? `; sent ${f.sentReadings ?? 0} readings, backlog left ${f.backlog?.readings ?? '?'}`
          : v.uplink === 'unreachable'
            ? `; ${f.connected ? 'connected?!' : 'not connected'}, backlog ${f.backlog?.readings ?? '?'}`
            : '';
      figures.push({
        figure: k === 0 ? 'P6' : `P6 ${v.short}`,
        value: mb(peak),
        unit: 'MB RSS peak',
        ...(v.backlog ? { target: '≤ 80', pass: mb(peak) <= 80 } : {}),
        notes:
          `${v.name}: steady ${mb(steady)} MB (median of the last 10 s; ${drift >= 0 ? '+' : ''}${drift} MB over ${seconds} s), ` +
          `VmHWM ${mb(st.vmHwm)}, anon ${mb(st.rssAnon)} / file ${mb(st.rssFile)} MB, V8 heap used ${round(heap, 1)} MB, external ${round(ext, 1)} MB` +
          (k === 0 ? `; backlog ${readings} readings (built in ${round(buildS, 1)} s)` : '') +
          uplinkNote,
        steadyMB: mb(steady),
        peakMB: mb(peak),
        vmHwmMB: mb(st.vmHwm),
        rssAnonMB: mb(st.rssAnon),
        rssFileMB: mb(st.rssFile),
        heapUsedMB: round(heap, 1),
        externalMB: round(ext, 1),
        backlogReadings: v.backlog ? readings : 0,
        rssSeriesMB: all.map(mb),
      });
    }
    return figures;
  } finally {
    feed?.stop();
    await Promise.all(children.map((c) => c.stop()));
    for (const f of feeders) f.close();
    await Promise.all(ptys.map((p) => p.close()));
    await broker?.stop();
    removeScratch(dir);
  }
}
