import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/gateway.js';
import { CLI, GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/mosquitto.js';
import { createPtyPair, type PtyPair, socatAvailable } from '../helpers/socat.js';
import { until } from '../helpers/wait.js';

const run = promisify(execFile);

const SERIAL_NODES = ['pir-07', 'cam-02', 'btn-pos1', 'fence-01'];
const LORA_NODE = 'seis-03';

interface Row {
  node: string;
  via: string;
  type: string;
}

describe.skipIf(!socatAvailable())(
  'siaga simulate feeding a running gateway (real pty, GWMP over UDP)',
  () => {
    let dir: string;
    let pty: PtyPair;
    let gw: GatewayProcess;
    let dbPath: string;
    let sim: { stdout: string; stderr: string };
    let sent: number;

    const rows = (): Row[] => {
      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      try {
        return db.prepare('SELECT node, via, type FROM readings ORDER BY rid').all() as Row[];
      } finally {
        db.close();
      }
    };
    const status = async () =>
      JSON.parse((await run(process.execPath, [CLI, '-c', gw.configFile, 'status', '--json'])).stdout);

    beforeAll(async () => {
      dir = tmpDir('siaga-simulate-');
      dbPath = join(dir, 'siaga.db');
      pty = await createPtyPair(dir, { names: ['gateway-end', 'node-end'] });
      const gwmpPort = await freePort();
      gw = await GatewayProcess.start({
        dir,
        yaml: `
gateway: {id: gw-sim, site: {name: Desa Uji, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}}
storage: {path: ${dbPath}, group_commit: {max_delay_ms: 2, routine_delay_ms: 20}}
serial: [{port: ${pty.a}, baud: 115200}]
lora:
  gwmp: {host: 127.0.0.1, port: ${gwmpPort}}
  devices:
    - {node: ${LORA_NODE}, dev_addr: "26011BDA", nwk_s_key: "44024241ED4CE9A68C6A8BC055233FD3", app_s_key: "EC925802AE430CA77FD3DD73CB2CC588", codec: lpp}
nodes:
  - {id: pir-07, type: pir, zone: z-braja}
  - {id: cam-02, type: cam, zone: z-braja}
  - {id: btn-pos1, type: btn, zone: z-braja}
  - {id: fence-01, type: fence, zone: z-braja}
  - {id: ${LORA_NODE}, type: seis, zone: z-braja}
zones: [{id: z-braja, name: Braja, sirens: [s-1]}]
sirens: [{id: s-1, driver: print}]
control: {socket: ${join(dir, 'siaga.sock')}}
`,
      });
      sim = await run(
        process.execPath,
        [
          CLI,
          '-c',
          gw.configFile,
          'simulate',
          '--port',
          pty.b,
          '--scenario',
          'panic-button',
          '--heartbeat',
          '1',
          '--duration',
          '8',
        ],
        { timeout: 60_000 },
      );
      const m = /sent (\d+) frames/.exec(sim.stdout);
      if (!m) throw new Error(`simulate did not say what it sent:\n${sim.stdout}\n${sim.stderr}`);
      sent = Number(m[1]);
      // Every frame the simulator sent ends up stored (committed) in the gateway's database.
      await until(`${sent} readings in SQLite`, () => rows().length >= sent, 20_000);
    }, 90_000);

    afterAll(async () => {
      await gw?.stop().catch(() => gw.kill9());
      await pty?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('stores readings from every serial node; SG1 and JSON lines both accepted, none rejected', async () => {
      expect(sim.stderr).toBe('');
      const all = rows();
      expect(all).toHaveLength(sent);
      const serial = all.filter((r) => r.via === 'serial');
      expect([...new Set(serial.map((r) => r.node))].sort()).toEqual([...SERIAL_NODES].sort());
      // The simulator writes every 4th serial line as JSON, the rest as SG1: with no rejection and
      // every line stored, both forms were accepted.
      expect(serial.length).toBeGreaterThanOrEqual(8);
      const st = await status();
      expect(st.counters.serial ?? {}).toEqual({});
      expect(st.counters.ingest.serial).toBe(serial.length);
    });

    it('the panic button drives the zone to AWAS: a level event in SQLite, AWAS in status', async () => {
      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      try {
        const levels = (
          db.prepare("SELECT fields FROM events WHERE kind = 'level' ORDER BY eid").all() as {
            fields: string;
          }[]
        ).map((e) => JSON.parse(e.fields));
        expect(levels).toContainEqual(
          expect.objectContaining({ zone: 'z-braja', level: 'AWAS', prev: 'NORMAL' }),
        );
        expect(
          db.prepare("SELECT count(*) AS n FROM readings WHERE node = 'btn-pos1' AND type = 'btn'").get(),
        ).toEqual({ n: 1 });
      } finally {
        db.close();
      }
      expect((await status()).levels).toEqual({ 'z-braja': 'AWAS' });
    });

    it('accepts the LoRa device’s GWMP uplinks: readings via lora with radio metadata', async () => {
      const lora = rows().filter((r) => r.via === 'lora');
      expect(lora.length).toBeGreaterThanOrEqual(4);
      expect(new Set(lora.map((r) => r.node))).toEqual(new Set([LORA_NODE]));
      const st = await status();
      expect(st.counters.lora ?? {}).toEqual({});
      expect(st.counters.ingest.lora).toBe(lora.length);
      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      try {
        const r = db.prepare("SELECT radio FROM readings WHERE via = 'lora' LIMIT 1").get() as {
          radio: string;
        };
        const radio = JSON.parse(r.radio);
        expect(radio).toMatchObject({
          rssi: expect.any(Number),
          snr: expect.any(Number),
          sf: expect.any(Number),
        });
        expect(radio.freq).toBeGreaterThanOrEqual(920);
        expect(radio.freq).toBeLessThanOrEqual(923);
      } finally {
        db.close();
      }
    });
  },
);
