import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uplinkClientOptions } from '../../src/uplink/client-options.js';
import { type Mosquitto, mosquittoAvailable, startMosquitto } from '../helpers/mosquitto.js';
import { cfg } from '../helpers/uplink-centre.js';

async function connect(broker: Mosquitto, keepaliveS: number): Promise<MqttClient> {
  return mqtt.connectAsync(
    broker.url,
    uplinkClientOptions(
      cfg(broker.url, { keepalive_s: keepaliveS }),
      'gw-opts-01',
      'siaga/v1/gw/gw-opts-01/status',
      5000,
    ),
  );
}

/** Publishes QoS 1 one after another (each after the last PUBACK) until `stop()` says so. */
async function publishUntil(client: MqttClient, stop: (n: number) => boolean): Promise<number> {
  const payload = `{"gw":"gw-opts-01","batch":"b","readings":[${'{"id":"x","node":"pir-01","seq":1,"type":"pir","ts":1,"via":"serial","v":{"n":1}},'.repeat(3)}{"id":"y"}]}`;
  let n = 0;
  while (!stop(n)) {
    await client.publishAsync('siaga/v1/gw/gw-opts-01/readings', payload, { qos: 1 });
    n++;
  }
  return n;
}

describe.skipIf(!mosquittoAvailable())(
  'the uplink client as the gateway configures MQTT.js (real Mosquitto)',
  () => {
    let broker: Mosquitto;
    beforeAll(async () => {
      broker = await startMosquitto();
    });
    afterAll(async () => {
      await broker?.stop();
    });

    it('a link busy with publishes still pings every keepalive and stays up', async () => {
      const client = await connect(broker, 1);
      let pingresps = 0;
      client.on('packetreceive', (p) => {
        if (p.cmd === 'pingresp') pingresps++;
      });
      let closed = false;
      client.on('close', () => {
        closed = true;
      });
      const until = Date.now() + 3500;
      await publishUntil(client, () => Date.now() > until || closed);
      expect(closed).toBe(false);
      expect(pingresps).toBeGreaterThan(0);
      await client.endAsync();
    });

    it('1,000 QoS 1 publishes, 8 at a time, all acknowledged, with packet ids that stay within the 8', async () => {
      const client = await connect(broker, 60);
      const ids = new Set<number>();
      client.on('packetsend', (p) => {
        if (p.cmd === 'publish' && p.messageId !== undefined) ids.add(p.messageId);
      });
      let acked = 0;
      const worker = async () => {
        while (acked < 1000) {
          await client.publishAsync('siaga/v1/gw/gw-opts-01/readings', `{"n":${acked}}`, { qos: 1 });
          acked++;
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      expect(acked).toBeGreaterThanOrEqual(1000);
      await client.endAsync();
      expect([...ids].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    });
  },
);
