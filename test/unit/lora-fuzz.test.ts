import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeGwmp, encodePushData } from '../../drivers/gwmp/packet.js';
import { GWMP_REASONS } from '../../drivers/gwmp/server.js';
import { LORA_UPLINK_REASONS, LoraUplinkHandler } from '../../src/codecs/lora-uplink.js';
import type { Frame } from '../../src/domain/index.js';
import { ManualClock } from '../../src/domain/index.js';
import type { FcntStore } from '../../src/ports/fcnt-store.js';
import { buildPhyPayload, buildUplinkDatagram } from '../../src/sim/lora.js';
import { FUZZ_DEVICES as DEVICES, FUZZ_EUI as EUI } from '../fixtures/lora-devices.js';
import {
  byteEdit,
  junkField,
  junkRxpk,
  mutate,
  pushDataWith,
  randomDatagram,
} from '../helpers/lora-arbitraries.js';
import { must } from '../helpers/must.js';

// R3 (docs/quality.md): random and mutated GWMP datagrams never throw, and every refusal is a known,
// counted reason. 100,000 inputs in total across the properties below.

const KNOWN = new Set<string>([...LORA_UPLINK_REASONS, ...GWMP_REASONS]);

const FRAMES: Frame[] = [
  { node: 'pir-07', seq: 1, type: 'pir', v: { n: 3, bat: 3.71 } },
  { node: 'pir-07', seq: 2, type: 'gps', v: { lat: -4.9271, lon: 105.7823 } },
  { node: 'pir-07', seq: 3, type: 'cam', v: { label: 'elephant', conf: 0.91 } },
  { node: 'cam-02', seq: 4, type: 'cam', v: { label: 'elephant', conf: 0.91, bat: 3.9 } },
  { node: 'cam-02', seq: 5, type: 'seis', v: { pgv: 0.82, f: 8.5 } },
];
const device = (f: Frame) =>
  must(
    DEVICES.find((d) => d.node === f.node),
    `a LoRa device for ${f.node}`,
  );
const SEEDS = FRAMES.map((f) => buildUplinkDatagram(device(f), f, f.seq, { gatewayEui: EUI, token: f.seq }));
const PHYS = FRAMES.map((f) => buildPhyPayload(device(f), f, f.seq));

class MemFcnt implements FcntStore {
  private readonly m = new Map<string, number>();
  get(a: string) {
    return this.m.get(a);
  }
  set(a: string, f: number) {
    this.m.set(a, f);
  }
}

function harness() {
  const counts: string[] = [];
  let frames = 0;
  const handler = new LoraUplinkHandler({
    devices: DEVICES,
    dedupS: 10,
    fcnt: new MemFcnt(),
    clock: new ManualClock(1_763_892_000_000),
    onFrame: () => {
      frames++;
    },
    count: (r) => counts.push(r),
  });
  /** Runs one datagram through decoder and handler; checks every rxpk has exactly one outcome. */
  const run = (buf: Uint8Array): void => {
    counts.length = 0;
    frames = 0;
    const p = decodeGwmp(buf, 65_535);
    if (!p.ok) {
      expect(KNOWN.has(p.reason), p.reason).toBe(true);
      return;
    }
    if (p.value.kind !== 'push_data') return;
    handler.handlePush(EUI, p.value.body);
    for (const r of counts) expect(KNOWN.has(r), r).toBe(true);
    const rxpk = p.value.body.rxpk;
    if (Array.isArray(rxpk)) expect(frames + counts.length).toBe(rxpk.length);
  };
  return { run };
}

const edit = byteEdit({ maxAt: 600, maxOp: 3 });

describe('LoRa fuzz (R3)', () => {
  it('random datagrams: 40,000', () => {
    const { run } = harness();
    fc.assert(
      fc.property(randomDatagram({ versions: [1, 2, 2, 2, 3], maxTail: 200 }), (datagram) => {
        run(datagram);
      }),
      { numRuns: 40_000 },
    );
  });

  it('byte-level mutations of real uplinks: 30,000', () => {
    const { run } = harness();
    fc.assert(
      fc.property(
        fc.constantFrom(...SEEDS),
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        (seed, edits) => {
          run(mutate(seed, edits));
        },
      ),
      { numRuns: 30_000 },
    );
  });

  it('PHYPayload mutations inside well-formed rxpk: 20,000', () => {
    const { run } = harness();
    fc.assert(
      fc.property(fc.constantFrom(...PHYS), fc.array(edit, { maxLength: 3 }), (phy, edits) => {
        run(pushDataWith(mutate(phy, edits), { freq: 921.4 }));
      }),
      { numRuns: 20_000 },
    );
  });

  it('JSON-level junk in rxpk fields: 10,000', () => {
    const { run } = harness();
    const junk = fc.anything({ maxDepth: 1, maxKeys: 3 });
    const rxpk = junkRxpk(junkField(junk));
    fc.assert(
      fc.property(fc.array(fc.oneof(rxpk, junk), { maxLength: 4 }), junk, (entries, stat) => {
        run(encodePushData(1, EUI, { rxpk: entries, stat: stat as Record<string, unknown> }));
      }),
      { numRuns: 10_000 },
    );
  });
});
