import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectClient } from '../../src/uplink/stream-builder.js';
import { tmpDir } from '../helpers/gateway.js';
import { freePort, type Mosquitto, mosquittoAvailable, startMosquitto } from '../helpers/mosquitto.js';
import { writePasswordFile } from '../helpers/uplink-centre.js';

/** What `mqtt.connect` did for the uplink, our own socket must do too (against a real Mosquitto). */
describe.skipIf(!mosquittoAvailable())('connectClient: MQTT.js without its other transports', () => {
  let broker: Mosquitto;
  let port: number;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    const passwd = join(tmpDir('siaga-sb-'), 'mosquitto.passwd');
    writePasswordFile(passwd, { 'gw-1': 'kata sandi:1' });
    port = await freePort();
    broker = await startMosquitto({
      extraConfig: [`listener ${port} 127.0.0.1`, `password_file ${passwd}`, 'allow_anonymous false'],
    });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.end(true);
  });
  afterAll(async () => {
    await broker?.close();
  });

  function outcome(c: MqttClient): Promise<string> {
    clients.push(c);
    return new Promise((resolve) => {
      c.once('connect', () => resolve('connected'));
      c.once('error', (err) => resolve(`error: ${err.message}`));
    });
  }

  it('takes the user name and password from the URL, as mqtt.connect did', async () => {
    const url = `mqtt://gw-1:${encodeURIComponent('kata sandi:1')}@127.0.0.1:${port}`;
    expect(await outcome(connectClient(url, { clientId: 'gw-1', reconnectPeriod: 0 }))).toBe('connected');
  });

  it('a wrong password is refused by the broker, not silently ignored', async () => {
    const c = connectClient(`mqtt://127.0.0.1:${port}`, {
      clientId: 'gw-1',
      username: 'gw-1',
      password: 'salah',
      reconnectPeriod: 0,
    });
    expect(await outcome(c)).toMatch(/^error: .*(Not authorized|Bad username)/i);
  });

  it('a socket error carries its code to the client (the uplink reports why it is offline)', async () => {
    const closed = await freePort();
    const c = connectClient(`mqtt://127.0.0.1:${closed}`, { clientId: 'gw-1', reconnectPeriod: 0 });
    expect(await outcome(c)).toMatch(/ECONNREFUSED/);
  });

  it('refuses a persistent session without a client id, like mqtt.connect', () => {
    expect(() => connectClient(`mqtt://127.0.0.1:${port}`, { clean: false, clientId: '' })).toThrow(
      /clientId/,
    );
  });
});
