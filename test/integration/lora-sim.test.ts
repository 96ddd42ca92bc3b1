import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeSg1 } from '../../src/codecs/sg1.js';
import { parseConfig } from '../../src/config/load.js';
import { type Gateway, startGateway } from '../../src/main.js';
import { LoraSimulator } from '../../src/sim/lora-forwarder.js';
import { silentLog, tmpDir } from '../helpers/gateway.js';
import { until } from '../helpers/wait.js';

describe("the simulator's LoRa nodes (demo, siaga simulate)", () => {
  let gw: Gateway | undefined;
  let sim: LoraSimulator | undefined;
  afterEach(async () => {
    await gw?.stop();
    await sim?.stop();
  });

  it('an OTAA node joins before its first reading; the siren node hears ON/OFF and acknowledges', async () => {
    const dir = tmpDir();
    const config = parseConfig(
      `
gateway: {id: gw-sim, site: {name: Desa Uji, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}}
storage: {path: ${join(dir, 'siaga.db')}, group_commit: {max_delay_ms: 2, routine_delay_ms: 20}}
lora:
  gwmp: {host: 127.0.0.1, port: 1700}
  devices:
    - {node: seis-21, dev_eui: "0004A30B001C0521", join_eui: "70B3D57ED0000001", app_key: "2B7E151628AED2A6ABF7158809CF4F3C"}
    - {node: siren-l1, dev_addr: "26011BDC", nwk_s_key: "7D3E2F1A0B4C5D6E8F9A0B1C2D3E4F50", app_s_key: "1B2C3D4E5F60718293A4B5C6D7E8F901"}
nodes:
  - {id: seis-21, type: seis, zone: z-braja}
  - {id: btn-pos1, type: btn, zone: z-braja}
  - {id: siren-l1, type: hb, zone: z-braja}
zones: [{id: z-braja, name: Braja, sirens: [s-lora]}]
sirens: [{id: s-lora, driver: lora, node: siren-l1, ack_timeout_s: 2, retries: 1}]
log: {level: silent}
`,
      dir,
    );
    const g = await startGateway({ config, log: silentLog, noControl: true, ports: { gwmp: 0 } });
    gw = g;
    const heard: string[] = [];
    const s = new LoraSimulator({
      host: '127.0.0.1',
      port: g.gwmp?.address().port ?? 0,
      gatewayEui: 'AA555A0000000101',
      devices: config.lora?.devices ?? [],
      sirens: config.sirens,
      log: silentLog,
      onSirenCommand: (siren, on) => heard.push(`${siren} ${on ? 'ON' : 'OFF'}`),
    });
    sim = s;
    await s.start();
    expect(await s.send({ node: 'seis-21', seq: 1, type: 'seis', v: { pgv: 0.1 } })).toBe(true);
    expect(s.session('seis-21')?.devAddr).toMatch(/^0[01]/);
    await until("the joined node's reading", () => g.writer.committedReadings >= 1);
    expect(g.counters.snapshot().lora_net?.join_accepted).toBe(1);

    await s.send({ node: 'siren-l1', seq: 1, type: 'hb', v: { bat: 3.9 } }); // heard once
    g.ingest.acceptLine(encodeSg1({ node: 'btn-pos1', seq: 1, type: 'btn', v: { p: 1 } }), {
      via: 'serial',
      from: 't',
    });
    await until('the siren node heard ON', () => heard.includes('s-lora ON'));
    await g.sirens.off('s-lora');
    expect(heard).toContain('s-lora OFF');
    const state = g.sirens.state().find((x) => x.id === 's-lora');
    expect(state?.fault).toBeUndefined();
  });
});
