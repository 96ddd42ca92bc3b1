import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeSg1 } from '../../src/codecs/sg1.js';
import { parseConfig } from '../../src/config/load.js';
import { type Gateway, startGateway } from '../../src/main.js';
import { silentLog, tmpDir } from '../helpers/gateway.js';
import { ForwarderEmu, TestDevice } from '../helpers/lora-forwarder.js';
import { freePort } from '../helpers/mosquitto.js';
import { until } from '../helpers/wait.js';

const run = promisify(execFile);
const CLI = new URL('../../dist/bin/siaga.js', import.meta.url).pathname;

const SIREN_NODE = {
  devAddr: '26011c01',
  nwkSKey: Buffer.from('6a1d2e3f405162738495a6b7c8d9eaf1', 'hex'),
  appSKey: Buffer.from('0a1b2c3d4e5f60718293a4b5c6d7e8f9', 'hex'),
};
const OTAA = {
  devEui: '0004a30b001c0530',
  joinEui: '70b3d57ed0000001',
  appKey: '2b7e151628aed2a6abf7158809cf4f3c',
};

function config(dir: string, gwmpPort: number, siren = 'ack_timeout_s: 1, retries: 1') {
  writeFileSync(join(dir, 'pir-07.key'), `${OTAA.appKey}\n`, { mode: 0o600 });
  const text = `
gateway: {id: gw-lora, site: {name: Desa Uji, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}}
storage: {path: ${join(dir, 'siaga.db')}, group_commit: {max_delay_ms: 2, routine_delay_ms: 20}}
lora:
  gwmp: {host: 127.0.0.1, port: ${gwmpPort}}
  devices:
    - {node: siren-n1, dev_addr: "${SIREN_NODE.devAddr.toUpperCase()}", nwk_s_key: "${SIREN_NODE.nwkSKey.toString('hex')}", app_s_key: "${SIREN_NODE.appSKey.toString('hex')}"}
    - {node: pir-07, dev_eui: "${OTAA.devEui}", join_eui: "${OTAA.joinEui}", app_key_file: pir-07.key}
nodes:
  - {id: pir-07, type: pir, zone: z-braja}
  - {id: btn-pos1, type: btn, zone: z-braja}
  - {id: siren-n1, type: hb, zone: z-braja}
zones: [{id: z-braja, name: Braja, sirens: [s-lora]}]
sirens: [{id: s-lora, driver: lora, node: siren-n1, fport: 10, ${siren}}]
control: {socket: ${join(dir, 'siaga.sock')}}
log: {level: silent}
`;
  writeFileSync(join(dir, 'siaga.yaml'), text);
  return parseConfig(text, dir);
}

const siren = (g: Gateway) => g.sirens.state().find((s) => s.id === 's-lora');
const sirenNode = () => new TestDevice({ session: { ...SIREN_NODE } });

describe('LoRa both ways through a real GWMP forwarder emulation', () => {
  let gw: Gateway | undefined;
  const fwds: ForwarderEmu[] = [];
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
    for (const f of fwds.splice(0)) await f.close();
  });

  async function start(
    dir: string,
    siren?: string,
  ): Promise<{ g: Gateway; port: number; kinds: string[]; states: unknown[] }> {
    const port = await freePort();
    const g = await startGateway({ config: config(dir, port, siren), log: silentLog, noControl: true });
    gw = g;
    const kinds: string[] = [];
    const states: unknown[] = [];
    g.onLive((l) => {
      if (l.kind === 'event') kinds.push(`${l.event.kind}:${String(l.event.fields.error ?? '')}`);
      if (l.kind === 'reading' && l.reading.node === 'siren-n1') states.push(l.reading.v.siren);
    });
    return { g, port, kinds, states };
  }
  async function forwarder(eui: string, port: number): Promise<ForwarderEmu> {
    const f = new ForwarderEmu(eui, port);
    await f.open();
    fwds.push(f);
    return f;
  }
  const panic = (g: Gateway, seq: number) =>
    g.ingest.acceptLine(encodeSg1({ node: 'btn-pos1', seq, type: 'btn', v: { p: 1 } }), {
      via: 'serial',
      from: 't',
    });

  it('AWAS sends ON at once on RX2 through the forwarder that heard the siren node best; its ACK completes it', async () => {
    const dir = tmpDir();
    const { g, port, kinds, states } = await start(dir);
    const a = await forwarder('aa555a0000000001', port);
    const b = await forwarder('aa555a0000000002', port);
    const node = sirenNode();
    // The node's status uplink (quiet), heard by both forwarders: B with the better SNR.
    const status = node.uplink({ fcnt: 1, fport: 10, payload: Buffer.from([0]) });
    await a.push(status, { lsnr: 2 });
    await b.push(status, { lsnr: 9.5 });
    b.onDownlink = (txpk) => {
      const d = node.downlink(String(txpk.data));
      // The node switches on and acknowledges in its next uplink, reporting its state.
      const on = d.payload[0] === 1 ? 1 : 0;
      setTimeout(() => {
        b.push(node.uplink({ fcnt: 2 + d.fcnt, fport: 10, payload: Buffer.from([on]), ack: true })).catch(
          () => {},
        );
      }, 50);
    };
    panic(g, 1);
    const [down] = await b.waitDownlinks(1);
    expect(a.downlinks).toHaveLength(0);
    expect(down?.txpk).toMatchObject({
      imme: true,
      freq: 921.4,
      datr: 'SF10BW125',
      ipol: true,
      modu: 'LORA',
      rfch: 0,
    });
    const d = node.downlink(String(down?.txpk.data));
    expect(d).toMatchObject({ devAddr: SIREN_NODE.devAddr, fcnt: 0, confirmed: true, fport: 10 });
    expect([...d.payload]).toEqual([1]);
    // The node's status uplinks (quiet, then sounding with the ACK) are read back as its heartbeats.
    await until('the node ACKed, reporting ON', () => states.join() === '0,1');
    // No resend after the ACK timeout (1 s): the ACK completed the command.
    await new Promise((r) => setTimeout(r, 1500));
    expect(b.downlinks).toHaveLength(1);
    expect(siren(g)).toMatchObject({ on: true });
    expect(siren(g)?.fault).toBeUndefined();
    expect(kinds.filter((k) => k.startsWith('siren_fault'))).toEqual([]);
    expect(kinds).toContain('siren_on:');
    // The downlink counter is on disk, committed with the siren_on event.
    await until('fcnt down stored', () => {
      const db = new Database(join(dir, 'siaga.db'), { readonly: true });
      try {
        return (
          (db.prepare('SELECT fcnt_down FROM lora_fcnt_down').get() as { fcnt_down: number } | undefined)
            ?.fcnt_down === 1
        );
      } finally {
        db.close();
      }
    });
    expect(g.counters.snapshot().lora_net).toMatchObject({ tx_ok: 1 });
    // Nothing was refused but B's copy of A's frame: lora_rejected must not count a working siren.
    expect(g.counters.snapshot().lora ?? {}).toEqual({ duplicate: 1 });
  });

  it('a siren node that never ACKs is sent the command again, then the siren is faulted, never "sounding"', async () => {
    const { g, port, kinds } = await start(tmpDir());
    const a = await forwarder('aa555a0000000001', port);
    const node = sirenNode();
    await a.push(node.uplink({ fcnt: 1, fport: 10, payload: Buffer.from([0]) }));
    panic(g, 1);
    await until('siren_fault', () => kinds.some((k) => k.startsWith('siren_fault')), 15_000);
    expect(a.downlinks).toHaveLength(2); // the first send and one retry (retries: 1)
    const fcnts = a.downlinks.map((x) => node.downlink(String(x.txpk.data)).fcnt);
    expect(fcnts).toEqual([0, 1]);
    expect(kinds.find((k) => k.startsWith('siren_fault'))).toMatch(
      /no ACK from LoRa node siren-n1 after 2 sends/,
    );
    expect(g.counters.snapshot().lora_net).toMatchObject({ cmd_no_ack: 2 });
    expect(siren(g)?.fault).toMatch(/no ACK/);
  });

  it('FCntDown carries on across a restart: the node never sees a counter it already had', async () => {
    const dir = tmpDir();
    const first = await start(dir);
    const a = await forwarder('aa555a0000000001', first.port);
    const node = sirenNode();
    await a.push(node.uplink({ fcnt: 1, fport: 10, payload: Buffer.from([0]) }));
    panic(first.g, 1);
    await until('siren_fault', () => first.kinds.some((k) => k.startsWith('siren_fault')), 15_000);
    expect(a.downlinks.map((x) => node.downlink(String(x.txpk.data)).fcnt)).toEqual([0, 1]);
    await first.g.stop(); // its SIGTERM OFF goes out too, under the next counters
    const seen = a.downlinks.map((x) => node.downlink(String(x.txpk.data)).fcnt);
    await a.close();
    fwds.splice(0);

    const again = await start(dir);
    const b = await forwarder('aa555a0000000002', again.port);
    await b.push(node.uplink({ fcnt: 2, fport: 10, payload: Buffer.from([0]) }));
    void again.g.sirens.off('s-lora'); // an operator's `siaga siren off`
    const [down] = await b.waitDownlinks(1);
    // Past every counter the node saw (skipping ahead: a kill could have lost the last increments).
    expect(node.downlink(String(down?.txpk.data)).fcnt).toBeGreaterThan(Math.max(...seen));
  });

  it('a forwarder refusing with COLLISION_PACKET is counted and the next one sends; one that never TX_ACKs faults', async () => {
    const { g, port, kinds } = await start(tmpDir(), 'confirmed: false, retries: 0');
    const a = await forwarder('aa555a0000000001', port);
    const b = await forwarder('aa555a0000000002', port);
    const node = sirenNode();
    const status = node.uplink({ fcnt: 1, fport: 10, payload: Buffer.from([0]) });
    await a.push(status, { lsnr: 1 });
    await b.push(status, { lsnr: 9 });
    b.txAck = () => 'COLLISION_PACKET';
    panic(g, 1);
    await a.waitDownlinks(1);
    expect(b.downlinks).toHaveLength(1);
    expect(g.counters.snapshot().lora_net).toMatchObject({ tx_collision_packet: 1, tx_ok: 1 });
    await until('siren on', () => siren(g)?.on === true);
    expect(siren(g)?.fault).toBeUndefined();

    // Now neither answers TX_ACK: the OFF times out on both and the siren is faulted.
    a.txAck = () => 'silent';
    b.txAck = () => 'silent';
    await g.sirens.off('s-lora');
    await until('siren_fault', () => kinds.some((k) => k.startsWith('siren_fault')), 20_000);
    expect(g.counters.snapshot().lora_net).toMatchObject({ tx_timeout: 2 });
  });

  it('a downlink to a siren node never heard faults at once with one sentence', async () => {
    const { g, kinds } = await start(tmpDir());
    panic(g, 1);
    await until('siren_fault', () => kinds.some((k) => k.startsWith('siren_fault')));
    expect(kinds.find((k) => k.startsWith('siren_fault'))).toMatch(
      /LoRa node siren-n1 has not been heard by any packet forwarder since the gateway started \(or for a day\); it cannot be reached until it sends an uplink/,
    );
  });

  it('OTAA: JoinAccept in RX1 five seconds after the request, session works, DevNonce replay, bad MIC and unknown DevEUI refused', async () => {
    const dir = tmpDir();
    const { g, port } = await start(dir);
    const a = await forwarder('aa555a0000000001', port);
    const dev = new TestDevice(OTAA);
    const tmst = 4_294_000_000; // wraps: +5 s crosses 2^32
    await a.push(dev.joinRequest(0x1234), { tmst, freq: 922.0, datr: 'SF9BW125' });
    const [ja] = await a.waitDownlinks(1);
    expect(ja?.txpk).toMatchObject({
      imme: false,
      tmst: (tmst + 5_000_000) % 2 ** 32,
      freq: 922.0,
      datr: 'SF9BW125',
      ipol: true,
    });
    const s = dev.acceptJoin(String(ja?.txpk.data));
    expect(s.netId).toBe('000000');
    expect(s.dlSettings).toBe(2); // RX1DROffset 0, RX2 DR2 (AS923-2)
    expect(s.devAddr).toMatch(/^0[01]/); // NwkID 0 of NetID 000000

    await a.push(dev.uplink({ fcnt: 0, fport: 2, payload: Buffer.from([1, 0, 3]) }));
    await until('reading from the joined device', () => g.writer.committedReadings >= 1);
    expect(g.counters.snapshot().lora_net).toMatchObject({ join_accepted: 1 });
    expect(g.counters.snapshot().lora ?? {}).toEqual({});

    await a.push(dev.joinRequest(0x1234)); // replayed
    await a.push(dev.joinRequest(0x1235, '00'.repeat(16))); // wrong key
    await a.push(new TestDevice({ ...OTAA, devEui: '0004a30b001c0999' }).joinRequest(7));
    await until('three refusals', () => {
      const c = g.counters.snapshot().lora ?? {};
      return c.join_replayed_nonce === 1 && c.join_bad_mic === 1 && c.join_unknown_deveui === 1;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(a.downlinks).toHaveLength(1);

    // A new join: a new DevAddr, FCnt up from 0 again.
    await a.push(dev.joinRequest(0x2000), { tmst: 1000 });
    const [, ja2] = await a.waitDownlinks(2);
    const s2 = dev.acceptJoin(String(ja2?.txpk.data));
    expect(s2.devAddr).not.toBe(s.devAddr);
    await a.push(dev.uplink({ fcnt: 0, fport: 2, payload: Buffer.from([1, 0, 1]) }));
    await until('reading from the new session', () => g.writer.committedReadings >= 2);

    // `siaga lora devices` shows the join, read from the database, no key in sight.
    const cli = await run('node', [CLI, '-c', join(dir, 'siaga.yaml'), 'lora', 'devices', '--json']);
    const rows = JSON.parse(cli.stdout) as Record<string, unknown>[];
    expect(rows).toEqual([
      expect.objectContaining({
        node: 'siren-n1',
        activation: 'ABP',
        dev_addr: SIREN_NODE.devAddr,
        last_join: null,
      }),
      expect.objectContaining({
        node: 'pir-07',
        activation: 'OTAA',
        dev_eui: OTAA.devEui,
        dev_addr: s2.devAddr,
      }),
    ]);
    expect(rows[1]?.last_join).toEqual(expect.any(Number));
    const table = (await run('node', [CLI, '-c', join(dir, 'siaga.yaml'), 'lora', 'devices'])).stdout;
    expect(table).toMatch(new RegExp(`pir-07\\s+OTAA\\s+${s2.devAddr}`));
    expect(cli.stdout + table).not.toContain(OTAA.appKey);
    expect(cli.stdout + table).not.toContain(s2.nwkSKey.toString('hex'));

    // The spent DevNonce survives a restart.
    await g.stop();
    const again = await start(dir);
    const a2 = await forwarder('aa555a0000000003', again.port);
    await a2.push(dev.joinRequest(0x2000));
    await until('replay after restart', () => again.g.counters.snapshot().lora?.join_replayed_nonce === 1);
    // And the session survives too: the device keeps sending under it.
    await a2.push(dev.uplink({ fcnt: 1, fport: 2, payload: Buffer.from([1, 0, 2]) }));
    await until('reading after restart', () => again.g.writer.committedReadings >= 1);
  });

  it('a confirmed uplink gets its ACK in RX1, with the LinkCheckAns it asked for', async () => {
    const { port } = await start(tmpDir());
    const a = await forwarder('aa555a0000000001', port);
    const b = await forwarder('aa555a0000000002', port);
    const node = sirenNode();
    const up = node.uplink({
      fcnt: 5,
      fport: 10,
      payload: Buffer.from([0]),
      confirmed: true,
      fopts: Buffer.from([0x02]),
    });
    await a.push(up, { tmst: 10_000_000, lsnr: -3, datr: 'SF10BW125', freq: 921.8 });
    await b.push(up, { tmst: 20_000_000, lsnr: 6, datr: 'SF10BW125', freq: 921.8 });
    const [ack] = await b.waitDownlinks(1);
    expect(ack?.txpk).toMatchObject({ imme: false, tmst: 21_000_000, freq: 921.8, datr: 'SF10BW125' });
    const d = node.downlink(String(ack?.txpk.data));
    expect(d).toMatchObject({ ack: true, fport: null, devAddr: SIREN_NODE.devAddr });
    // LinkCheckAns: margin 6 − (−15) = 21 dB, heard by 2 forwarders.
    expect([...d.fopts]).toEqual([0x02, 21, 2]);
    expect(a.downlinks).toHaveLength(0);
  });
});
