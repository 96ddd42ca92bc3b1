import { Worker } from 'node:worker_threads';
import { decodeGwmp } from '../drivers/gwmp/packet.js';
import { LoraUplinkHandler } from '../src/codecs/lora-uplink.js';
import type { LoraDeviceConfig } from '../src/config/schema.js';
import { ManualClock } from '../src/domain/index.js';
import { startGateway } from '../src/main.js';
import { buildUplinkDatagram } from '../src/sim/lora.js';
import { must } from '../src/util/must.js';
import {
  benchNodes,
  benignValues,
  cycle,
  type Figure,
  loraDevices,
  loraYaml,
  now,
  removeScratch,
  scratchDir,
  silentLog,
  sinkStream,
  siteConfig,
} from './common.js';
import type { SenderInput, SenderResult } from './lora.js';

/**
 * P2: LoRaWAN uplinks as real GWMP datagrams over UDP on 127.0.0.1 to a gateway built by
 * `startGateway` (GWMP server → JSON + base64 + MIC + decrypt + LPP + FCnt store → ingest → group
 * commit), counted until committed. The forwarder runs in a worker thread and keeps at most
 * `window` datagrams un-ACKed, so kernel buffer drops do not falsify the rate (drops are counted
 * anyway). Same run, for the ratio: parse-only over the very same datagrams (GWMP decode → JSON →
 * base64 → MIC → decrypt → LPP/sg1 → field rules in LoraUplinkHandler), no UDP and no store.
 */

export interface P2Options {
  uplinks?: number;
  window?: number;
}

/** `n` datagrams round-robin over the devices, FCnt counting from `fcnt0` per device. */
function datagrams(devs: LoraDeviceConfig[], n: number, fcnt0: number): Buffer[] {
  const nodes = benchNodes();
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const d = cycle(devs, i);
    const [type, v] = benignValues(cycle(nodes, i % devs.length).type, i);
    const fcnt = fcnt0 + Math.floor(i / devs.length);
    out.push(
      buildUplinkDatagram(d, { node: d.node, seq: fcnt, type, v }, fcnt, {
        gatewayEui: 'aa555a0000000101',
        token: i & 0xffff,
        sf: 7 + (i % 6),
        tmst: (i * 1000) >>> 0,
      }),
    );
  }
  return out;
}

/**
 * Uplinks/s of the parse work alone, on the datagrams P2 sends, with the same devices: what the
 * gateway does beyond it (UDP in and PUSH_ACK out, FCnt and reading commits, detection) is the
 * rest of the ratio.
 */
function parseOnly(devs: LoraDeviceConfig[], data: Buffer[], passes: number): number {
  let accepted = 0;
  let rejected = 0;
  const t0 = now();
  for (let p = 0; p < passes; p++) {
    // A fresh counter state per pass: the same FCnts again are fresh to it.
    const fcnt = new Map<string, number>();
    const handler = new LoraUplinkHandler({
      devices: devs,
      dedupS: 10,
      fcnt: { get: (a) => fcnt.get(a), set: (a, f) => void fcnt.set(a, f) },
      clock: new ManualClock(1_763_892_000_000),
      onFrame: () => {
        accepted++;
      },
      count: () => {
        rejected++;
      },
    });
    for (const d of data) {
      const pk = decodeGwmp(d);
      if (pk.ok && pk.value.kind === 'push_data') handler.handlePush(pk.value.gatewayEui, pk.value.body);
    }
  }
  const s = (now() - t0) / 1000;
  if (accepted !== data.length * passes || rejected !== 0) {
    throw new Error(`P2 parse: ${accepted} accepted, ${rejected} rejected; the bench data is wrong`);
  }
  return accepted / s;
}

function send(input: SenderInput): Promise<SenderResult> {
  const w = new Worker(new URL('./p2-sender.js', import.meta.url), { workerData: input });
  return new Promise((resolve, reject) => {
    w.once('error', reject);
    w.once('online', () => w.postMessage('go'));
    w.once('message', (m: SenderResult | { error: string }) => {
      void w.terminate();
      if ('error' in m) reject(new Error(m.error));
      else resolve(m);
    });
  });
}

export async function benchP2(opts: P2Options = {}): Promise<Figure[]> {
  const n = opts.uplinks ?? 40_000;
  const window = opts.window ?? 128;
  const devs = loraDevices();
  const warm = datagrams(devs, 2_000, 1);
  const data = datagrams(devs, n, 1_000);
  const dir = scratchDir('p2');
  let result: SenderResult;
  let rate: number;
  let committed: number;
  let rejected: Record<string, number> = {};
  try {
    const gw = await startGateway({
      config: siteConfig({ dir, extra: loraYaml(devs) }),
      log: silentLog,
      noControl: true,
      sirenOut: sinkStream(),
      ports: { gwmp: 0 },
    });
    try {
      const { host, port } = must(gw.gwmp, 'the GWMP server the bench asked for').address();
      // Warm-up: the same path, not timed (and the parse-only path likewise).
      await send({ host, port, datagrams: warm, window, stallMs: 200 });
      parseOnly(devs, warm, 1);
      gw.writer.flush();
      const base = gw.writer.committedReadings;
      const t0 = now();
      result = await send({ host, port, datagrams: data, window, stallMs: 200 });
      // Every ACKed datagram was in the gateway's hands. Full groups (max_rows) committed as they
      // filled; the last partial group would wait for routine_delay_ms, a latency policy for quiet
      // nights, not throughput: commit it now, as P1 does.
      gw.writer.flush();
      let tEnd = now();
      const deadline = Date.now() + 10_000;
      while (gw.writer.committedReadings - base < result.acked && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1));
        tEnd = now();
      }
      committed = gw.writer.committedReadings - base;
      rate = committed / ((tEnd - t0) / 1000);
      const c = gw.counters.snapshot() as Record<string, Record<string, number>>;
      rejected = { ...(c.lora ?? {}), ...(c.gwmp ?? {}) };
    } finally {
      await gw.stop();
    }
  } finally {
    removeScratch(dir);
  }
  const parse = parseOnly(devs, data, 2);
  return [
    {
      figure: 'P2',
      value: rate,
      unit: 'uplinks/s',
      target: '≥ 5,000',
      pass: rate >= 5_000 && result.dropped === 0,
      notes: `${(rate / parse).toFixed(2)} × parse-only; ${n} sent, ${result.dropped} dropped, ${n - committed} not committed, window ${window}`,
      ratioToParse: rate / parse,
      sent: result.sent,
      acked: result.acked,
      dropped: result.dropped,
      committed,
      counters: rejected,
    },
    {
      figure: 'P2 parse',
      value: parse,
      unit: 'uplinks/s',
      notes: 'the same datagrams: GWMP decode → JSON → base64 → MIC → decrypt → LPP, no UDP, no store',
    },
  ];
}
