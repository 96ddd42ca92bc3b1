import { createServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/broker/password.js';
import { encodeSg1 } from '../../src/codecs/sg1.js';
import { tmpDir } from '../helpers/gateway.js';
import { GatewayProcess, killAllGatewayProcesses } from '../helpers/gateway-process.js';

// Issue 11.8: a Wi-Fi node deletes a reading once the local broker PUBACKed it, so the PUBACK
// must come after the commit. Heartbeats are routine readings (they may wait routine_delay_ms,
// 5 s by default, for a commit): before the fix a kill -9 right after the PUBACK lost them.

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('local broker: PUBACK only after the commit (spawned siaga run, kill -9)', () => {
  afterAll(() => killAllGatewayProcesses());

  it('every PUBACKed reading survives a kill -9 sent the moment the PUBACK arrives (4 rounds)', async () => {
    const dir = tmpDir('siaga-pubcommit-');
    const dbPath = join(dir, 'siaga.db');
    const port = await freePort();
    const hash = await hashPassword('rahasia-pir');
    const yaml = `
gateway: {id: gw-pub, site: {name: Desa Uji, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}}
storage: {path: ${dbPath}, group_commit: {routine_delay_ms: 5000}}
local_broker:
  enabled: true
  port: ${port}
  users: [{username: pir-07, password_hash: "${hash}", role: node, node: pir-07}]
nodes: [{id: pir-07, type: pir, zone: z-braja}]
zones: [{id: z-braja, name: Braja, sirens: [], center: [-5.02, 105.76], radius_m: 1500}]
control: {socket: ${join(dir, 'siaga.sock')}}
`;
    let seq = 0;
    const pubacked: number[] = [];
    for (let round = 0; round < 4; round++) {
      const gw = await GatewayProcess.start({ dir, yaml });
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
        username: 'pir-07',
        password: 'rahasia-pir',
        clientId: `pir-07-r${round}`,
        reconnectPeriod: 0,
      });
      // A few heartbeats in a row, each QoS 1; the kill follows the last PUBACK at once.
      for (let i = 0; i < 3; i++) {
        seq++;
        await client.publishAsync(
          'siaga/local/nodes/pir-07/up',
          encodeSg1({ node: 'pir-07', seq, type: 'hb', v: { bat: 3.9, temp: 27.5 } }),
          { qos: 1 },
        );
        pubacked.push(seq);
      }
      await gw.kill9();
      client.end(true);
      const db = new Database(dbPath, { readonly: true });
      const stored = (
        db.prepare("SELECT seq FROM readings WHERE node = 'pir-07' ORDER BY seq").all() as { seq: number }[]
      ).map((r) => r.seq);
      db.close();
      expect(stored, `round ${round}`).toEqual(pubacked);
    }
  }, 120_000);
});
