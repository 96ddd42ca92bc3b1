import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MqttSiren, sirenSetTopic, sirenStateTopic } from '../../drivers/sirens/mqtt.js';
import { SirenError } from '../../src/domain/index.js';
import type { LocalBus } from '../../src/ports/local-bus.js';

/** A LocalBus over an in-process aedes (the gateway's own publishes bypass client ACLs). */
function aedesBus(broker: Aedes): LocalBus {
  return {
    publish: (topic, payload, opts) =>
      new Promise((resolve, reject) =>
        broker.publish(
          {
            cmd: 'publish',
            topic,
            payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
            qos: opts?.qos ?? 0,
            retain: opts?.retain ?? false,
            dup: false,
          },
          (err) => (err ? reject(err) : resolve()),
        ),
      ),
    subscribe(filter, handler) {
      const deliver = (packet: { topic: string; payload: Buffer | string }, cb: () => void) => {
        handler(packet.topic, Buffer.from(packet.payload));
        cb();
      };
      broker.subscribe(filter, deliver, () => undefined);
      return () => broker.unsubscribe(filter, deliver, () => undefined);
    },
  };
}

describe('mqtt siren against an in-process aedes broker', () => {
  let broker: Aedes;
  let server: Server;
  let url: string;
  const clients: MqttClient[] = [];
  const sirens: MqttSiren[] = [];

  beforeEach(async () => {
    broker = await Aedes.createBroker();
    server = createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    for (const s of sirens.splice(0)) await s.close();
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await new Promise<void>((r) => broker.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  });

  /** A siren device: subscribes to its set topic and, if `echo`, answers on its state topic. */
  async function device(id: string, echo: boolean): Promise<string[]> {
    const got: string[] = [];
    const c = await mqtt.connectAsync(url, { clientId: `dev-${id}`, reconnectPeriod: 0 });
    clients.push(c);
    c.on('message', (_t, payload) => {
      const cmd = payload.toString();
      got.push(cmd);
      if (echo) c.publish(sirenStateTopic(id), cmd, { qos: 1 });
    });
    await c.subscribeAsync(sirenSetTopic(id), { qos: 1 });
    return got;
  }

  it('publishes ON/OFF on the set topic and resolves when the device echoes the state', async () => {
    const got = await device('s-braja-1', true);
    const siren = new MqttSiren({ id: 's-braja-1', bus: aedesBus(broker), stateTimeoutMs: 2000 });
    sirens.push(siren);
    await siren.on();
    expect(await siren.check()).toEqual({ on: true, ok: true });
    await siren.off();
    await siren.off(); // idempotent
    expect(got).toEqual(['ON', 'OFF', 'OFF']);
    expect(await siren.check()).toEqual({ on: false, ok: true });
  });

  it('a device that never answers is a fault within state_timeout_ms', async () => {
    const got = await device('s-mute', false);
    const siren = new MqttSiren({ id: 's-mute', bus: aedesBus(broker), stateTimeoutMs: 150 });
    sirens.push(siren);
    const t0 = Date.now();
    const err = await siren.on().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SirenError);
    expect((err as SirenError).message).toMatch(/no ON state echo within 150 ms/);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(got).toEqual(['ON']);
    const check = await siren.check();
    expect(check.ok).toBe(false);
    expect(check.fault).toMatch(/echo/);
  });

  it('the set command is retained so a device that connects later learns it', async () => {
    const siren = new MqttSiren({ id: 's-late', bus: aedesBus(broker), stateTimeoutMs: 100 });
    sirens.push(siren);
    await expect(siren.off()).rejects.toThrow(SirenError);
    const got = await device('s-late', false);
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual(['OFF']);
  });
});
