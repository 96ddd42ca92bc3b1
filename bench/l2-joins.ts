import { loraPacket } from '../src/codecs/lorawan.js';
import { startGateway } from '../src/main.js';
import { must } from '../src/util/must.js';
import {
  type Figure,
  now,
  removeScratch,
  round,
  scratchDir,
  silentLog,
  siteConfig,
  waitFor,
} from './common.js';
import { BenchForwarder } from './l1-forwarder.js';

/**
 * L2: OTAA joins handled per second. `devices` OTAA devices each send one JoinRequest, pushed in
 * datagrams of 10 rxpk with one PUSH_ACK awaited at a time; a join is handled when the gateway
 * counted it `join_accepted` (MIC under the AppKey, DevNonce spent and the session stored in one
 * SQLite commit, keys derived, JoinAccept built and encrypted). The PULL_RESPs follow ~100 ms
 * later (the wait for copies from other forwarders), so they are awaited but not timed.
 */
export async function benchL2(devices = 2000): Promise<Figure[]> {
  const dir = scratchDir('l2');
  const eui = (i: number) => (0x0004a30b00000000n + BigInt(i)).toString(16).padStart(16, '0');
  const appKey = (i: number) => (i % 251).toString(16).padStart(2, '0').repeat(16);
  const nodes = Array.from({ length: devices }, (_, i) => ({
    id: `j-${i}`,
    type: 'hb' as const,
    zone: 'z-braja',
  }));
  const list = Array.from(
    { length: devices },
    (_, i) =>
      `    - {node: j-${i}, dev_eui: "${eui(i)}", join_eui: "70b3d57ed0000001", app_key: "${appKey(i)}"}`,
  ).join('\n');
  const extra = `lora:\n  gwmp: {host: 127.0.0.1, port: 1700}\n  duty_cycle_pct: 100\n  devices:\n${list}\n`;
  const requests = Array.from({ length: devices }, (_, i) => {
    const nonce = Buffer.alloc(2);
    nonce.writeUInt16BE(i & 0xffff);
    const p = loraPacket.fromFields(
      {
        MType: 'Join Request',
        AppEUI: Buffer.from('70b3d57ed0000001', 'hex'),
        DevEUI: Buffer.from(eui(i), 'hex'),
        DevNonce: nonce,
      },
      undefined,
      undefined,
      Buffer.from(appKey(i), 'hex'),
    );
    return p.getPHYPayload() as Buffer;
  });
  let rate = 0;
  let accepts = 0;
  let counters: Record<string, number> = {};
  try {
    const gw = await startGateway({
      config: siteConfig({
        dir,
        nodes,
        zonesYaml: '[{id: z-braja, name: Braja, sirens: []}]',
        sirensYaml: '[]',
        extra,
      }),
      log: silentLog,
      noControl: true,
      ports: { gwmp: 0 },
    });
    const fwd = new BenchForwarder('aa555a0000000101', must(gw.gwmp, 'the GWMP server').address().port);
    try {
      await fwd.open();
      const joined = () => gw.counters.snapshot().lora_net?.join_accepted ?? 0;
      const t0 = now();
      for (let i = 0; i < devices; i += 10) await fwd.push(requests.slice(i, i + 10), 7);
      await waitFor(() => joined() >= devices, 'every join handled', 60_000);
      rate = devices / ((now() - t0) / 1000);
      await waitFor(() => fwd.pullResp.length >= devices, 'every JoinAccept on the wire', 60_000);
      accepts = fwd.pullResp.length;
      counters = gw.counters.snapshot().lora_net ?? {};
    } finally {
      await fwd.close();
      await gw.stop();
    }
  } finally {
    removeScratch(dir);
  }
  return [
    {
      figure: 'L2',
      value: round(rate),
      unit: 'joins/s',
      target: '≥ 200',
      pass: rate >= 200,
      notes: `${devices} OTAA devices, one JoinRequest each; ${accepts} JoinAccepts on the wire`,
      counters,
    },
  ];
}
