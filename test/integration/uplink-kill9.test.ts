import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb } from '../../src/store/db.js';
import { ACK_LATER_ROWS } from '../../src/store/outbox.js';
import { StoreWriter } from '../../src/store/writer.js';
import { idFactory } from '../../src/util/ids.js';
import { silentLog, tmpDir } from '../helpers/gateway.js';
import { GatewayProcess, killAllGatewayProcesses } from '../helpers/gateway-process.js';
import { type Mosquitto, mosquittoAvailable, startMosquitto } from '../helpers/mosquitto.js';
import { until } from '../helpers/wait.js';

const BACKLOG = 40_000;

describe.skipIf(!mosquittoAvailable())('kill -9 while the backlog drains to the centre', () => {
  let broker: Mosquitto | undefined;
  afterEach(async () => {
    await killAllGatewayProcesses();
    await broker?.close();
  });

  it('loses nothing: every stored reading reaches the centre, the outbox ends empty', async () => {
    broker = await startMosquitto();
    const dir = tmpDir();
    const dbPath = join(dir, 'siaga.db');
    // Weeks without uplink, compressed: a backlog already in the outbox.
    const db = openDb(dbPath);
    const w = new StoreWriter({ db, log: silentLog, options: { maxRows: 5000, maxDelayMs: 1000 } });
    const id = idFactory();
    const t0 = Date.now() - 3_600_000;
    for (let i = 0; i < BACKLOG; i++) {
      w.addReading({
        id: id(t0 + i),
        node: 'pir-07',
        seq: i + 1,
        type: 'hb',
        ts: t0 + i,
        via: 'serial',
        v: { bat: 3.9 },
        clockOk: true,
      });
    }
    w.close();
    const ids = new Set((db.prepare('SELECT id FROM readings').all() as { id: string }[]).map((r) => r.id));
    db.close();
    expect(ids.size).toBe(BACKLOG);

    const seen = new Map<string, number>();
    const centre = await mqtt.connectAsync(broker.url, { clientId: 'centre', reconnectPeriod: 0 });
    centre.on('message', (_t, payload) => {
      for (const r of (JSON.parse(payload.toString()) as { readings: { id: string }[] }).readings) {
        seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
      }
    });
    await centre.subscribeAsync('siaga/v1/gw/gw-k9/readings', { qos: 1 });

    const yaml = `
gateway: {id: gw-k9, site: {name: Desa, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}}
storage: {path: ${dbPath}}
uplink: {url: "${broker.url}", batch: {max_readings: 100, max_delay_ms: 10}, max_inflight: 2}
nodes: [{id: pir-07, type: pir, zone: z-a}]
zones: [{id: z-a, name: A, sirens: []}]
`;
    const first = await GatewayProcess.start({ dir, yaml });
    await until('the first batches at the centre', () => seen.size > 0, 20_000);
    await first.kill9();
    const afterKill = seen.size;

    await GatewayProcess.start({ dir, yaml });
    await until(`all ${BACKLOG} readings at the centre`, () => seen.size === BACKLOG, 60_000);
    await centre.endAsync();

    expect(afterKill).toBeLessThan(BACKLOG); // the kill really happened mid-drain
    expect([...ids].filter((x) => !seen.has(x))).toEqual([]);
    // Resent are the batches in flight (killed between PUBLISH and PUBACK) and the PUBACKed rows
    // whose deletion waited to go with others (outbox.ts, at most ACK_LATER_ROWS): the centre
    // drops them by id. Bounded, not the backlog.
    const dupes = [...seen.values()].filter((n) => n > 1).length;
    expect(dupes).toBeLessThanOrEqual(ACK_LATER_ROWS + 2 * 100 * 2);
    const check = openDb(dbPath, { readonly: true });
    await until(
      'outbox empty',
      () => (check.prepare('SELECT count(*) AS n FROM outbox_readings').get() as { n: number }).n === 0,
      10_000,
    );
    check.close();
  });
});
