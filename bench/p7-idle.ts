import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSg1 } from '../src/codecs/sg1.js';
import type { PtyPair } from '../src/sim/pty.js';
import { createPtyPair } from '../src/sim/pty.js';
import { startBenchBroker } from './broker.js';
import {
  type Child,
  every,
  type Frame,
  idleTick,
  PtyFeeder,
  procCpuS,
  procWakeups,
  startChild,
} from './child.js';
import { benchNodes, type Figure, nth, removeScratch, round, scratchDir, sleep } from './common.js';

/**
 * P7: idle CPU with 50 nodes sending 1 frame/min each, spread evenly (one frame every 1.2 s).
 * Each variant is a gateway in its own child process (bench/p67-child.ts, harness in
 * p6-memory.ts); after every node's first frame and a warm-up, utime+stime from /proc/<pid>/stat
 * (all threads) is read, then again 60 s later, as % of one core. Same window, side by side:
 * - serial: frames over a real serial port (socat pty), no uplink: the figure;
 * - + uplink: the same with an uplink to a local Mosquitto, connected and idle (each frame is
 *   forwarded as a partial batch after batch.max_delay_ms);
 * - ipc: frames handed to the serial callback over IPC, no serial port (hence no 1 s liveness
 *   probe): serial − ipc ≈ what the open port costs;
 * - timers only: no port, no frames: what the gateway's own timers cost (engine tick every 1 s,
 *   node-cron's every-minute heartbeat and node_check jobs).
 * Wake-ups are the main thread's voluntary context switches (/proc/<pid>/task/<pid>/status).
 */

interface Variant {
  name: string;
  short: string;
  feed: 'pty' | 'ipc' | 'none';
  uplink?: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'serial port, no uplink', short: 'serial', feed: 'pty' },
  { name: 'serial port + uplink to Mosquitto (idle, connected)', short: 'uplink', feed: 'pty', uplink: true },
  { name: 'frames over IPC, no serial port (no liveness probe)', short: 'ipc', feed: 'ipc' },
  { name: 'timers only: no port, no frames', short: 'timers', feed: 'none' },
];

export async function benchP7(opts: { warmupS?: number; seconds?: number } = {}): Promise<Figure[]> {
  const warmupS = opts.warmupS ?? 5;
  const seconds = opts.seconds ?? 60;
  const dir = scratchDir('p7');
  const nodes = benchNodes();
  const children: Child[] = [];
  const ptys: PtyPair[] = [];
  const sinks: ((frames: Frame[]) => void)[] = [];
  let broker: { url: string; stop(): Promise<void> } | undefined;
  let feed: { stop(): void } | undefined;
  const feeders: PtyFeeder[] = [];
  try {
    broker = await startBenchBroker(join(dir, 'mosq'));
    for (const [k, v] of VARIANTS.entries()) {
      const sub = join(dir, `v${k}`);
      mkdirSync(sub, { recursive: true });
      let serial: string | undefined;
      let feeder: PtyFeeder | undefined;
      if (v.feed === 'pty') {
        const pty = await createPtyPair(sub);
        ptys.push(pty);
        feeder = new PtyFeeder(pty);
        feeders.push(feeder);
        serial = pty.a;
      }
      const child = await startChild(`P7 ${v.short}`, {
        dir: sub,
        ...(serial ? { serial } : {}),
        ...(v.feed === 'ipc' ? { ipcFeed: true } : {}),
        ...(v.feed === 'none' ? { ipcFeed: true } : {}),
        ...(v.uplink ? { uplinkYaml: `{url: "${broker.url}"}` } : {}),
      });
      children.push(child);
      if (feeder) sinks.push((f) => feeder.send(f));
      else if (v.feed === 'ipc')
        sinks.push((fs) => {
          for (const f of fs) child.line(encodeSg1(f));
        });
    }
    // Warm-up: every node's first frame at once (node_online events, first commits, JIT), so the
    // measured minute has only the steady state in it.
    const seqs = new Map<string, number>();
    const first = nodes.flatMap((_, i) => idleTick(nodes, seqs, i));
    for (const s of sinks) s(first);
    await sleep(warmupS * 1000);

    const t0 = Date.now();
    const cpu0 = children.map((c) => procCpuS(c.pid));
    const wk0 = children.map((c) => procWakeups(c.pid));
    const own0 = await Promise.all(children.map((c) => c.ask()));
    feed = every((i) => {
      const frames = idleTick(nodes, seqs, i);
      for (const s of sinks) s(frames);
    }, nodes.length);
    await sleep(seconds * 1000);
    feed.stop();
    const elapsed = (Date.now() - t0) / 1000;
    const cpu1 = children.map((c) => procCpuS(c.pid));
    const wk1 = children.map((c) => procWakeups(c.pid));
    const own1 = await Promise.all(children.map((c) => c.ask()));

    return VARIANTS.map((v, k) => {
      const cpuS = nth(cpu1, k) - nth(cpu0, k);
      const pct = (cpuS / elapsed) * 100;
      const [b, a] = [nth(own0, k), nth(own1, k)];
      const ownPct = ((a.cpu.user + a.cpu.system - b.cpu.user - b.cpu.system) / 1e6 / elapsed) * 100;
      const [w0, w1] = [nth(wk0, k), nth(wk1, k)];
      const mainWakeups = (w1.main - w0.main) / elapsed;
      const allWakeups = (w1.all - w0.all) / elapsed;
      const committed = a.committed - b.committed;
      const msPerWake = (cpuS * 1000) / Math.max(1, mainWakeups * elapsed);
      return {
        figure: k === 0 ? 'P7' : `P7 ${v.short}`,
        value: round(pct, 3),
        unit: '% of a core',
        ...(k === 0 ? { target: '≤ 0.5', pass: pct <= 0.5 } : {}),
        notes:
          `${v.name}: ${committed} readings committed in ${round(elapsed, 1)} s; process.cpuUsage ${round(ownPct, 3)} %; ` +
          `main thread ${round(mainWakeups, 2)} wake-ups/s (all threads ${round(allWakeups, 2)}), ≈ ${round(msPerWake, 2)} ms CPU per wake-up`,
        procPct: round(pct, 3),
        cpuUsagePct: round(ownPct, 3),
        wakeupsPerS: round(mainWakeups, 2),
        allThreadWakeupsPerS: round(allWakeups, 2),
        readings: committed,
        seconds: round(elapsed, 1),
      };
    });
  } finally {
    feed?.stop();
    await Promise.all(children.map((c) => c.stop()));
    for (const f of feeders) f.close();
    await Promise.all(ptys.map((p) => p.close()));
    await broker?.stop();
    removeScratch(dir);
  }
}
