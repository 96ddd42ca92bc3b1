import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, constants, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { encodeSg1 } from '../src/codecs/sg1.js';
import { createPtyPair, type PtyPair } from '../src/sim/pty.js';
import { inflatePayload } from '../src/uplink/payloads.js';
import { uplinkTopics } from '../src/uplink/topics.js';
import { must } from '../src/util/must.js';
import { startBenchBroker } from './broker.js';
import {
  benchNodes,
  benignValues,
  cycle,
  type Figure,
  percentile,
  removeScratch,
  round,
  scratchDir,
  serviceEnv,
  siteYaml,
  sleep,
  waitFor,
} from './common.js';

/**
 * P10: a reading written on a serial port (a socat pty) → received by a subscriber of the
 * centre's Mosquitto. The gateway is a real `siaga run` process (dist/, as systemd runs it), so
 * its event loop is not shared with the feeder or the subscriber of this process.
 *
 * Latency of one reading = from just before its SG1 line is written into the far end of the pty to
 * the moment the subscriber here parses the batch that carries it (matched by node and seq). Every
 * reading after a 1 s warm-up is a sample. The frames are quiet-night frames from the 50 bench
 * nodes, with every default of the config: routine readings wait up to 5 s for their group commit
 * (P9), and go to the centre before it (`uplink.live_readings`).
 */

const CLI = fileURLToPath(new URL('../../dist/bin/siaga.js', import.meta.url));
const GW = 'gw-bench-01';

export interface P10Options {
  /** frames/s and for how long, per run */
  runs?: { rate: number; seconds: number }[];
  compress?: 'none' | 'deflate';
}

interface RunResult {
  rate: number;
  lat: number[];
  sent: number;
  missing: number;
}

export async function benchP10(opts: P10Options = {}): Promise<Figure[]> {
  const runs = opts.runs ?? [
    { rate: 10, seconds: 30 },
    { rate: 1000, seconds: 15 },
  ];
  const results: RunResult[] = [];
  for (const r of runs) results.push(await oneRun(r.rate, r.seconds, opts.compress ?? 'none'));
  return results.map((r) => {
    const p50 = percentile(r.lat, 0.5);
    const p99 = percentile(r.lat, 0.99);
    return {
      figure: `P10 reading on the pty → at the centre's subscriber, ${r.rate} frames/s`,
      value: round(p99, 2),
      unit: 'ms p99',
      notes: `p50 ${p50.toFixed(2)} ms, max ${Math.max(...r.lat).toFixed(1)} ms, n=${r.lat.length}, ${r.missing} not received`,
      rate: r.rate,
      p50,
      p99,
      max: Math.max(...r.lat),
      n: r.lat.length,
      sent: r.sent,
      missing: r.missing,
    };
  });
}

async function oneRun(rate: number, seconds: number, compress: 'none' | 'deflate'): Promise<RunResult> {
  const dir = scratchDir('p10');
  const broker = await startBenchBroker(join(dir, 'mosq'));
  let pty: PtyPair | undefined;
  let proc: ChildProcess | undefined;
  let centre: mqtt.MqttClient | undefined;
  let fd: number | undefined;
  try {
    pty = await createPtyPair(dir);
    const nodes = benchNodes();
    const yaml = siteYaml({
      dir,
      nodes,
      logLevel: 'warn',
      extra: `serial: [{port: ${pty.a}, baud: 115200}]\nuplink: {url: "${broker.url}", compress: ${compress}}`,
    });
    const file = join(dir, 'siaga.yaml');
    writeFileSync(file, yaml);

    // The centre: a subscriber that notes when each (node, seq) arrived.
    const topics = uplinkTopics(GW);
    const arrived = new Map<string, number>();
    let online = false;
    centre = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    centre.on('message', (topic, payload) => {
      const at = performance.now();
      if (topic === topics.status) {
        online = (JSON.parse(payload.toString()) as { online?: boolean }).online === true;
        return;
      }
      const text = topic === topics.readingsZ ? inflatePayload(payload) : payload.toString();
      for (const r of (JSON.parse(text) as { readings: { node: string; seq: number }[] }).readings)
        arrived.set(`${r.node}/${r.seq}`, at);
    });
    await centre.subscribeAsync([topics.status, topics.readings, topics.readingsZ], { qos: 1 });

    proc = spawn(process.execPath, [CLI, '-c', file, 'run'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: serviceEnv(),
    });
    await waitFor(() => online, 'the gateway to come online at the centre', 30_000, 20);

    fd = openSync(pty.b, constants.O_WRONLY | constants.O_NOCTTY);
    const seqs = new Map<string, number>();
    const sentAt = new Map<string, number>();
    let i = 0;
    const write = (count: number, record: boolean): void => {
      const keys: string[] = [];
      let text = '';
      for (let k = 0; k < count; k++, i++) {
        const n = cycle(nodes, i);
        const seq = (seqs.get(n.id) ?? 0) + 1;
        seqs.set(n.id, seq);
        const [type, v] = benignValues(n.type, i);
        text += `${encodeSg1({ node: n.id, seq, type, v })}\n`;
        keys.push(`${n.id}/${seq}`);
      }
      const t = performance.now();
      writeSync(must(fd, 'the open pty'), text, null, 'latin1');
      if (record) for (const key of keys) sentAt.set(key, t);
    };
    // The port is open once a first reading makes it through.
    const deadline = Date.now() + 20_000;
    while (arrived.size === 0) {
      if (Date.now() > deadline) throw new Error('P10: no reading reached the centre');
      write(1, false);
      await sleep(100);
    }

    // Warm-up (JIT, first commits) then the measured window, paced like P3's background feed.
    const feed = async (secs: number, record: boolean): Promise<number> => {
      let sent = 0;
      const t0 = performance.now();
      const end = t0 + secs * 1000;
      while (performance.now() < end) {
        const due = Math.floor(((performance.now() - t0) / 1000) * rate) - sent;
        if (due > 0) {
          write(due, record);
          sent += due;
        }
        await sleep(rate >= 200 ? 5 : 1000 / rate / 2);
      }
      return sent;
    };
    await feed(1, false);
    const sent = await feed(seconds, true);
    const keys = [...sentAt.keys()];
    await waitFor(() => keys.every((k) => arrived.has(k)), 'every reading at the centre', 20_000, 20).catch(
      () => undefined,
    );
    const lat: number[] = [];
    let missing = 0;
    for (const [k, t] of sentAt) {
      const at = arrived.get(k);
      if (at === undefined) missing++;
      else lat.push(at - t);
    }
    return { rate, lat, sent, missing };
  } finally {
    if (fd !== undefined) closeSync(fd);
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc?.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc?.kill('SIGKILL'), 8000);
      await exited;
      clearTimeout(t);
    }
    await centre?.endAsync();
    await pty?.close();
    await broker.stop();
    removeScratch(dir);
  }
}
