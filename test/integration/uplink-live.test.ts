import { Writable } from 'node:stream';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeSg1 } from '../../src/codecs/sg1.js';
import { type Gateway, startGateway } from '../../src/main.js';
import { sleep } from '../../src/util/wait.js';
import { testConfig } from '../helpers/gateway.js';
import { type Mosquitto, mosquittoAvailable, startMosquitto } from '../helpers/mosquitto.js';
import { until } from '../helpers/wait.js';

/**
 * Readings reach the centre as they arrive, not after their group commit (uplink.live_readings):
 * a real gateway, a real Mosquitto, routine commits held for a minute to spare the SD card.
 */
describe.skipIf(!mosquittoAvailable())('readings to the centre before their commit (real Mosquitto)', () => {
  let broker: Mosquitto | undefined;
  let gw: Gateway | undefined;
  let centre: MqttClient | undefined;

  afterEach(async () => {
    await gw?.stop();
    await centre?.endAsync();
    await broker?.close();
    gw = centre = broker = undefined;
  });

  async function start(liveReadings: boolean) {
    broker = await startMosquitto();
    const ids: string[] = [];
    centre = await mqtt.connectAsync(broker.url, { clientId: 'centre', reconnectPeriod: 0 });
    centre.on('message', (topic, payload) => {
      if (topic.endsWith('/readings'))
        for (const r of JSON.parse(payload.toString()).readings as { id: string }[]) ids.push(r.id);
    });
    await centre.subscribeAsync('siaga/v1/gw/gw-test/#', { qos: 1 });
    const config = testConfig(
      `uplink: {url: "${broker.url}", live_readings: ${liveReadings}, batch: {max_readings: 50, max_delay_ms: 20}}`,
    );
    config.storage.group_commit.routine_delay_ms = 60_000;
    // The minute's status save commits what waits: keep it (and the offline check) out of the test.
    config.schedules.heartbeat = config.schedules.node_check = '0 0 1 1 *';
    const g = await startGateway({
      config,
      noControl: true,
      sirenOut: new Writable({ write: (_c, _e, cb) => cb() }),
    });
    gw = g;
    await until('online', () => g.forwarder?.state().connected === true);
    let seq = 0;
    const heartbeats = (n: number) => {
      const sent: string[] = [];
      for (let i = 0; i < n; i++) {
        const r = g.ingest.acceptLine(
          encodeSg1({ node: 'pir-07', seq: ++seq, type: 'hb', v: { bat: 3.9 } }),
          {
            via: 'serial',
            from: 't',
          },
        );
        if (r.ok) sent.push(r.value.id);
      }
      return sent;
    };
    const stored = () => g.db.prepare('SELECT count(*) FROM readings').pluck().get() as number;
    return { g, ids, heartbeats, stored };
  }

  it('a heartbeat is at the centre while its commit still waits; once committed it is not queued, nothing goes twice', async () => {
    const { g, ids, heartbeats, stored } = await start(true);
    const first = heartbeats(5);
    await until('5 heartbeats at the centre', () => first.every((id) => ids.includes(id)));
    // The centre may see a message before the gateway sees its PUBACK.
    await until('PUBACKed', () => g.forwarder?.state().inflight === 0);
    expect(stored()).toBe(0); // still in the group commit's memory, held for a minute
    g.writer.flush();
    expect(stored()).toBe(5);
    expect(g.outbox.backlog().readings).toBe(0); // the centre has them: nothing left to send
    // More, committed while their PUBACKs may still be on the way: each arrives once all the same.
    const more = heartbeats(120);
    g.writer.flush();
    await until('all at the centre', () => more.every((id) => ids.includes(id)));
    await until('outbox empty', () => g.outbox.backlog().readings === 0);
    const last = heartbeats(1);
    await until('a last one', () => last.every((id) => ids.includes(id)));
    expect(ids).toHaveLength(new Set(ids).size);
    expect(ids).toHaveLength(126);
  });

  it('with live_readings off, a heartbeat waits for its commit, then goes from the outbox', async () => {
    const { g, ids, heartbeats, stored } = await start(false);
    const [id] = heartbeats(1);
    await sleep(1000);
    expect(ids).toEqual([]);
    expect(stored()).toBe(0);
    g.writer.flush();
    await until('at the centre after its commit', () => ids.includes(id as string));
    expect(ids).toEqual([id]);
  });
});
