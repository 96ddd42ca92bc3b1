import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { type Gateway, startGateway } from '../../src/main.js';
import { silentLog, tmpDir } from '../helpers/gateway.js';
import { ForwarderEmu, TestDevice } from '../helpers/lora-forwarder.js';
import { until } from '../helpers/wait.js';

const A = { devEui: '0004a30b001c0a01', joinEui: '70b3d57ed0000001', appKey: '0a'.repeat(16) };
const B = { devEui: '0004a30b001c0b02', joinEui: '70b3d57ed0000001', appKey: '0b'.repeat(16) };
const device = (d: typeof A, node: string) =>
  `    - {node: ${node}, dev_eui: "${d.devEui}", join_eui: "${d.joinEui}", app_key: "${d.appKey}"}`;

function config(dir: string, devices: string[]) {
  return parseConfig(
    `
gateway: {id: gw-lora, site: {name: Desa Uji, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}}
storage: {path: ${join(dir, 'siaga.db')}, group_commit: {max_delay_ms: 2, routine_delay_ms: 20}}
lora:
  gwmp: {host: 127.0.0.1, port: 1700}
  devices:
${devices.join('\n')}
nodes: [{id: pir-07, type: pir, zone: z-braja}, {id: pir-08, type: pir, zone: z-braja}]
zones: [{id: z-braja, name: Braja}]
log: {level: silent}
`,
    dir,
  );
}

describe('LoRa devices on a reload (SIGHUP)', () => {
  let gw: Gateway | undefined;
  let fwd: ForwarderEmu | undefined;
  afterEach(async () => {
    await gw?.stop();
    await fwd?.close();
  });

  it('a device added joins without a restart, a joined one keeps its session, a removed one is refused', async () => {
    const dir = tmpDir();
    const g = await startGateway({
      config: config(dir, [device(A, 'pir-07')]),
      log: silentLog,
      noControl: true,
      ports: { gwmp: 0 },
    });
    gw = g;
    const f = new ForwarderEmu('aa555a0000000001', g.gwmp?.address().port ?? 0);
    fwd = f;
    await f.open();
    const a = new TestDevice(A);
    await f.push(a.joinRequest(1));
    a.acceptJoin(String((await f.waitDownlinks(1))[0]?.txpk.data));

    await g.reload(config(dir, [device(A, 'pir-07'), device(B, 'pir-08')]));
    const b = new TestDevice(B);
    await f.push(b.joinRequest(1));
    b.acceptJoin(String((await f.waitDownlinks(2))[1]?.txpk.data));
    await f.push(a.uplink({ fcnt: 0, fport: 2, payload: Buffer.from([1, 0, 1]) }));
    await f.push(b.uplink({ fcnt: 0, fport: 2, payload: Buffer.from([1, 0, 2]) }));
    await until('both readings', () => g.writer.committedReadings >= 2);
    expect(g.counters.snapshot().lora_net).toMatchObject({ join_accepted: 2 });

    await g.reload(config(dir, [device(B, 'pir-08')]));
    await f.push(a.uplink({ fcnt: 1, fport: 2, payload: Buffer.from([1, 0, 1]) }));
    await f.push(a.joinRequest(2));
    await until('A refused', () => {
      const c = g.counters.snapshot().lora ?? {};
      return c.unknown_devaddr === 1 && c.join_unknown_deveui === 1;
    });
    expect(f.downlinks).toHaveLength(2); // no JoinAccept for the removed device
  });
});
