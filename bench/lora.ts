import { performance } from 'node:perf_hooks';
import { decodeGwmp } from '../drivers/gwmp/packet.js';
import { LoraUplinkHandler } from '../src/codecs/lora-uplink.js';
import type { LoraDeviceConfig } from '../src/config/schema.js';
import type { Frame, ReadingType, Values } from '../src/domain/index.js';
import { ManualClock } from '../src/domain/index.js';
import type { FcntStore } from '../src/ports/fcnt-store.js';
import { buildUplinkDatagram } from '../src/sim/lora.js';
import { cycle } from './common.js';

/**
 * P2, parse part: GWMP decode + JSON + base64 + MIC + decrypt + LPP/sg1 + field rules, on
 * datagrams built beforehand (building them uses the same crypto and must not be timed).
 * The FCnt store is a plain Map here; the store-backed figure is the lead's end-to-end run.
 */

const DEVICE_COUNT = 50;
/** Distinct datagrams built; the loop cycles over them with a fresh counter state per pass. */
const POOL = 5_000;

const MIX: [ReadingType, Values][] = [
  ['pir', { n: 2, bat: 3.71 }],
  ['hb', { bat: 3.9, temp: 29.5 }],
  ['seis', { pgv: 0.82, f: 8.5 }],
  ['cam', { label: 'elephant', conf: 0.91, bat: 3.9 }],
  ['beam', { cut: 1, bat: 3.6 }],
  ['gps', { lat: -4.9271, lon: 105.7823, bat: 3.95 }],
];

function devices(): LoraDeviceConfig[] {
  return Array.from({ length: DEVICE_COUNT }, (_, i) => {
    const n = i.toString(16).padStart(2, '0');
    return {
      node: `bench-${i}`,
      dev_addr: `260c00${n}`,
      nwk_s_key: `${n}`.repeat(16),
      app_s_key: `a${n.slice(1)}`.repeat(16),
      // One device in ten speaks the SG1 body codec, as a serial-radio bridge would.
      codec: i % 10 === 9 ? 'sg1' : 'lpp',
    };
  });
}

class MapFcnt implements FcntStore {
  m = new Map<string, number>();
  get(a: string) {
    return this.m.get(a);
  }
  set(a: string, f: number) {
    this.m.set(a, f);
  }
}

/** Uplinks per second through the pure LoRa path, single-threaded. */
export async function benchLoraParse(n: number): Promise<{ perSecond: number }> {
  const devs = devices();
  const pool: Buffer[] = [];
  for (let i = 0; i < Math.min(n, POOL); i++) {
    const d = cycle(devs, i);
    const [type, v] = cycle(MIX, i);
    const seq = Math.floor(i / DEVICE_COUNT) + 1;
    const frame: Frame = { node: d.node, seq, type, v };
    pool.push(
      buildUplinkDatagram(d, frame, seq, {
        gatewayEui: 'aa555a0000000101',
        token: i & 0xffff,
        sf: 7 + (i % 6),
      }),
    );
  }
  const clock = new ManualClock(1_763_892_000_000);
  let accepted = 0;
  let rejected = 0;
  const make = () =>
    new LoraUplinkHandler({
      devices: devs,
      dedupS: 10,
      fcnt: new MapFcnt(),
      clock,
      onFrame: () => {
        accepted++;
      },
      count: () => {
        rejected++;
      },
    });
  let handler = make();
  // Warm-up pass so the JIT has seen the path before the clock runs.
  for (const d of pool.slice(0, 500)) {
    const p = decodeGwmp(d);
    if (p.ok && p.value.kind === 'push_data') handler.handlePush(p.value.gatewayEui, p.value.body);
  }
  accepted = 0;
  rejected = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    // Each pass over the pool replays the same counters: a fresh state keeps them all accepted.
    if (i % pool.length === 0) handler = make();
    const p = decodeGwmp(cycle(pool, i));
    if (p.ok && p.value.kind === 'push_data') handler.handlePush(p.value.gatewayEui, p.value.body);
  }
  const seconds = (performance.now() - t0) / 1000;
  if (accepted !== n || rejected !== 0) {
    throw new Error(
      `bench lora: ${accepted} accepted, ${rejected} rejected of ${n}; the bench data is wrong`,
    );
  }
  return { perSecond: n / seconds };
}

/** P2's packet-forwarder worker (bench/p2-sender.ts): what it is given and what it reports. */
export interface SenderInput {
  host: string;
  port: number;
  datagrams: Uint8Array[];
  window: number;
  stallMs: number;
}

export interface SenderResult {
  sent: number;
  acked: number;
  dropped: number;
  seconds: number;
}
