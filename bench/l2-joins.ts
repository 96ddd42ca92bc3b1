import { loraPacket } from '../src/codecs/lorawan.js';
import { type Figure, now, round, waitFor } from './common.js';
import { benchLoraYaml, withLoraGateway } from './l1-forwarder.js';

/**
 * L2: OTAA joins handled per second. `devices` OTAA devices each send one JoinRequest, pushed in
 * datagrams of 10 rxpk with one PUSH_ACK awaited at a time; a join is handled when the gateway
 * counted it `join_accepted` (MIC under the AppKey, DevNonce spent and the session stored in one
 * SQLite commit, keys derived, JoinAccept built and encrypted). The PULL_RESPs follow ~100 ms
 * later (the wait for copies from other forwarders), so they are awaited but not timed.
 */
export async function benchL2(devices = 2000): Promise<Figure[]> {
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
  );
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
  const { rate, accepts, counters } = await withLoraGateway(
    'l2',
    {
      nodes,
      zonesYaml: '[{id: z-braja, name: Braja, sirens: []}]',
      sirensYaml: '[]',
      extra: benchLoraYaml(list),
    },
    async (gw, fwd) => {
      const joined = () => gw.counters.snapshot().lora_net?.join_accepted ?? 0;
      const t0 = now();
      for (let i = 0; i < devices; i += 10) await fwd.push(requests.slice(i, i + 10), 7);
      await waitFor(() => joined() >= devices, 'every join handled', 60_000);
      const perSecond = devices / ((now() - t0) / 1000);
      await waitFor(() => fwd.pullResp.length >= devices, 'every JoinAccept on the wire', 60_000);
      return {
        rate: perSecond,
        accepts: fwd.pullResp.length,
        counters: gw.counters.snapshot().lora_net ?? {},
      };
    },
  );
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
