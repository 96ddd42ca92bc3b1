import { loraPacket } from '../src/codecs/lorawan.js';
import { encodeSg1 } from '../src/codecs/sg1.js';
import { must } from '../src/util/must.js';
import { type Figure, now, percentile, round, waitFor } from './common.js';
import { benchLoraYaml, withLoraGateway } from './l1-forwarder.js';

/**
 * L1: AWAS → PULL_RESP on the wire. `zones` zones, each with a panic button and a LoRa siren on
 * its own Class C node (ABP). Every siren node is heard first; then the buttons are pressed one
 * at a time and each press is timed from `ingest.acceptLine` (the frame entering the gateway) to
 * the PULL_RESP datagram carrying ON arriving at the forwarder's socket: decode, store, detect,
 * AWAS, siren policy, the LoRa driver, FCntDown, frame encryption and MIC, txpk, UDP.
 * Duty cycle is lifted for the bench (200 downlinks in a minute would be 400 s of air at 1 %).
 */
export async function benchL1(zones = 200): Promise<Figure[]> {
  const key = (i: number, k: number) => ((i * 7 + k) % 256).toString(16).padStart(2, '0').repeat(16);
  const addr = (i: number) => (0x26100000 + i).toString(16);
  const nodes = Array.from({ length: zones }, (_, i) => [
    { id: `btn-${i}`, type: 'btn' as const, zone: `z-${i}` },
    { id: `sn-${i}`, type: 'hb' as const, zone: `z-${i}` },
  ]).flat();
  const zonesYaml = `[${Array.from({ length: zones }, (_, i) => `{id: z-${i}, name: Z${i}, sirens: [s-${i}]}`).join(', ')}]`;
  const sirensYaml = `[${Array.from({ length: zones }, (_, i) => `{id: s-${i}, driver: lora, node: sn-${i}, confirmed: false, retries: 0}`).join(', ')}]`;
  const devices = Array.from(
    { length: zones },
    (_, i) =>
      `    - {node: sn-${i}, dev_addr: "${addr(i)}", nwk_s_key: "${key(i, 1)}", app_s_key: "${key(i, 2)}"}`,
  );
  const samples: number[] = [];
  await withLoraGateway(
    'l1',
    { nodes, zonesYaml, sirensYaml, extra: benchLoraYaml(devices) },
    async (gw, fwd) => {
      // Every siren node reports once, so the gateway knows a forwarder that hears it.
      for (let i = 0; i < zones; i += 20) {
        const batch = Array.from({ length: Math.min(20, zones - i) }, (_, j) => {
          const n = i + j;
          const p = loraPacket.fromFields(
            {
              MType: 'Unconfirmed Data Up',
              DevAddr: Buffer.from(addr(n), 'hex'),
              FCnt: 1,
              FPort: 10,
              payload: Buffer.from([0]),
            },
            Buffer.from(key(n, 2), 'hex'),
            Buffer.from(key(n, 1), 'hex'),
          );
          return p.getPHYPayload() as Buffer;
        });
        await fwd.push(batch);
      }
      for (let i = 0; i < zones; i++) {
        const before = fwd.pullResp.length;
        const t0 = now();
        gw.ingest.acceptLine(encodeSg1({ node: `btn-${i}`, seq: 1, type: 'btn', v: { p: 1 } }), {
          via: 'serial',
          from: 'bench',
        });
        await waitFor(() => fwd.pullResp.length > before, `the PULL_RESP of press ${i}`, 5000);
        samples.push(must(fwd.pullResp[before], 'the PULL_RESP') - t0);
      }
    },
  );
  const p99 = percentile(samples, 0.99);
  return [
    {
      figure: 'L1',
      value: round(p99, 2),
      unit: 'ms p99',
      target: '≤ 50',
      pass: p99 <= 50,
      notes: `AWAS → PULL_RESP on the wire, ${samples.length} presses; p50 ${round(percentile(samples, 0.5), 2)} ms, max ${round(Math.max(...samples), 2)} ms`,
    },
  ];
}
