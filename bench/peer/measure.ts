import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { createPtyPair } from '../../src/sim/pty.js';
import { type Frame, mb, PtyFeeder, procCpuS, procStatus, procWriteBytes } from '../child.js';
import {
  benchNodes,
  benignValues,
  cycle,
  now,
  percentile,
  removeScratch,
  round,
  scratchDir,
  sleep,
  waitFor,
} from '../common.js';
import type { Contender } from './contenders.js';

/**
 * One contender through the whole script: spawn → online at the centre → 5 s idle → a quiet
 * phase → the loaded phase, measured from outside (the centre's broker for what arrives, /proc for
 * memory and CPU). Latency is from the moment this process's write() of a line into the pty
 * returned to the moment this process's subscriber got the reading: one clock, one machine.
 */

export interface Phase {
  rate: number;
  seconds: number;
  sent: number;
  received: number;
  /** Sent but never seen at the centre (by node and seq). */
  lost: number;
  duplicates: number;
  /** Line written → reading at the centre's subscriber, ms. */
  p50: number;
  p99: number;
  max: number;
  /**
   * Bytes the process sent to the disk during the phase (feeding and the wait until all arrived),
   * per frame: what an SD card wears by (siaga's P9 is the same measure).
   */
  diskBPerFrame: number;
}

export interface Measured {
  name: string;
  version: string;
  pid: number;
  /** spawn → the retained `{"online":true}` at the subscriber, ms. */
  startToOnlineMs: number;
  /** VmRSS 5 s after online, MB. */
  rssIdleMb: number;
  /** Highest VmRSS sampled every 100 ms during the loaded phase and its drain, MB. */
  rssPeakMb: number;
  /**
   * RssAnon at the same moments: the process's private memory (heaps, stacks), without the pages
   * of the node binary and the libraries' files, which every node process on the machine shares.
   */
  anonIdleMb: number;
  anonPeakMb: number;
  /** utime + stime over the loaded phase until its last reading arrived, per 1,000 frames. */
  cpuSPer1000: number;
  quiet?: Phase;
  loaded: Phase;
}

export interface Script {
  rate: number;
  seconds: number;
  quietRate: number;
  quietSeconds: number;
  /** Give up waiting for the rest of a phase after this long with nothing new at the centre. */
  drainIdleMs: number;
}

interface PhaseState {
  sentAt: Map<string, number>;
  seen: Set<string>;
  lat: number[];
  duplicates: number;
  /** Set when every frame sent has arrived after feeding ended. */
  doneAt?: number;
  feeding: boolean;
}

function logTail(dir: string): string {
  try {
    return readFileSync(join(dir, 'process.log'), 'utf8').slice(-2000);
  } catch {
    return '(no log)';
  }
}

/** SIGTERM, and SIGKILL if it has not exited 10 s later. */
export async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

export async function measure(c: Contender, brokerUrl: string, script: Script): Promise<Measured> {
  const dir = scratchDir(`peer-${c.gateway}`);
  const pty = await createPtyPair(dir);
  const prefix = `siaga/v1/gw/${c.gateway}`;
  const sub = await mqtt.connectAsync(brokerUrl, { clientId: `centre-${c.gateway}`, clean: true });
  let proc: ChildProcess | undefined;
  let feeder: PtyFeeder | undefined;
  try {
    await sub.subscribeAsync([`${prefix}/status`, `${prefix}/readings`], { qos: 1 });
    let onlineAt: number | undefined;
    let phase: PhaseState | undefined;
    let pid = 0;
    let cpuAtDone: number | undefined;
    sub.on('message', (topic, payload, packet) => {
      const at = now();
      if (topic === `${prefix}/status`) {
        // A retained status left by an earlier turn arrives with the retain flag; this turn's
        // gateway announcing itself to a subscriber already there arrives without it.
        if (packet.retain) return;
        const s = JSON.parse(payload.toString('utf8')) as { online?: boolean };
        if (s.online === true) onlineAt ??= at;
        return;
      }
      const p = phase;
      if (!p) return;
      for (const r of c.readings(payload)) {
        const key = `${r.node}:${r.seq}`;
        const sentAt = p.sentAt.get(key);
        if (sentAt === undefined) continue;
        if (p.seen.has(key)) {
          p.duplicates++;
          continue;
        }
        p.seen.add(key);
        p.lat.push(at - sentAt);
      }
      if (!p.feeding && p.doneAt === undefined && p.seen.size === p.sentAt.size) {
        p.doneAt = at;
        cpuAtDone = procCpuS(pid);
      }
    });

    const t0 = now();
    proc = c.start(dir, pty.a, Number(new URL(brokerUrl).port));
    const started = proc;
    pid = started.pid ?? 0;
    let exited = false;
    started.once('exit', () => {
      exited = true;
    });
    await waitFor(() => onlineAt !== undefined || exited, `${c.name} online`, 60_000, 2);
    if (onlineAt === undefined) throw new Error(`${c.name} exited before it was online:\n${logTail(dir)}`);
    const startToOnlineMs = onlineAt - t0;
    await sleep(5_000);
    const idle = procStatus(pid);

    feeder = new PtyFeeder(pty);
    const feed = feeder;
    const nodes = benchNodes();
    const seqs = new Map<string, number>();
    let i = 0;
    const frame = (): Frame => {
      const n = cycle(nodes, i);
      const seq = (seqs.get(n.id) ?? 0) + 1;
      seqs.set(n.id, seq);
      const [type, v] = benignValues(n.type, i++);
      return { node: n.id, seq, type, v };
    };

    const run = async (rate: number, seconds: number): Promise<Phase> => {
      const state: PhaseState = { sentAt: new Map(), seen: new Set(), lat: [], duplicates: 0, feeding: true };
      phase = state;
      const total = Math.round(rate * seconds);
      const io0 = procWriteBytes(pid);
      const start = now();
      while (state.sentAt.size < total) {
        if (exited) throw new Error(`${c.name} exited during the run:\n${logTail(dir)}`);
        const due = Math.min(total, Math.floor(((now() - start) / 1000) * rate)) - state.sentAt.size;
        if (due > 0) {
          const frames = Array.from({ length: due }, frame);
          feed.send(frames);
          const at = now();
          for (const f of frames) state.sentAt.set(`${f.node}:${f.seq}`, at);
        }
        await sleep(2);
      }
      state.feeding = false;
      if (state.seen.size === state.sentAt.size) {
        state.doneAt = now();
        cpuAtDone = procCpuS(pid);
      }
      // Until everything arrived, or nothing new came for drainIdleMs.
      let last = state.seen.size;
      let lastChange = now();
      while (state.doneAt === undefined && now() - lastChange < script.drainIdleMs && !exited) {
        await sleep(50);
        if (state.seen.size !== last) {
          last = state.seen.size;
          lastChange = now();
        }
      }
      phase = undefined;
      const diskBPerFrame = round((procWriteBytes(pid) - io0) / Math.max(1, state.sentAt.size), 1);
      return {
        rate,
        seconds,
        sent: state.sentAt.size,
        received: state.seen.size,
        lost: state.sentAt.size - state.seen.size,
        duplicates: state.duplicates,
        p50: round(percentile(state.lat, 0.5), 1),
        p99: round(percentile(state.lat, 0.99), 1),
        max: round(Math.max(...state.lat), 1),
        diskBPerFrame,
      };
    };

    const quiet =
      script.quietRate > 0 && script.quietSeconds > 0
        ? await run(script.quietRate, script.quietSeconds)
        : undefined;

    let peak = procStatus(pid);
    const sampler = setInterval(() => {
      try {
        const s = procStatus(pid);
        if (s.vmRss > peak.vmRss) peak = s;
      } catch {
        // the process ended; the run reports that
      }
    }, 100);
    cpuAtDone = undefined;
    const cpu0 = procCpuS(pid);
    let loaded: Phase;
    try {
      loaded = await run(script.rate, script.seconds);
    } finally {
      clearInterval(sampler);
    }
    const cpu1 = cpuAtDone ?? procCpuS(pid);
    return {
      name: c.name,
      version: c.version(),
      pid,
      startToOnlineMs: round(startToOnlineMs, 0),
      rssIdleMb: mb(idle.vmRss),
      rssPeakMb: mb(peak.vmRss),
      anonIdleMb: mb(idle.rssAnon),
      anonPeakMb: mb(peak.rssAnon),
      cpuSPer1000: round(((cpu1 - cpu0) / loaded.sent) * 1000, 3),
      ...(quiet ? { quiet } : {}),
      loaded,
    };
  } finally {
    feeder?.close();
    if (proc) await stopProcess(proc);
    await sub.endAsync();
    await pty.close();
    removeScratch(dir);
  }
}
