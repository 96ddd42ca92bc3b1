import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSg1 } from '../../src/codecs/sg1.js';
import { secretValues } from '../../src/config/secrets.js';
import { type Gateway, startGateway } from '../../src/main.js';
import { readingsCsv } from '../../src/report/index.js';
import { signCommand } from '../../src/uplink/hmac.js';
import { testConfig } from '../helpers/gateway.js';
import { type Mosquitto, mosquittoAvailable, startMosquitto } from '../helpers/mosquitto.js';
import { until } from '../helpers/wait.js';

const UPLINK_PASSWORD = 'uplink-pw-never-shown-9f3a';
const CMD_SECRET = 'cmd-secret-never-shown-0123456789';

describe.skipIf(!mosquittoAvailable())('gateway → central broker (real Mosquitto)', () => {
  let broker: Mosquitto;
  let gw: Gateway;
  let centre: MqttClient;
  const got: { topic: string; payload: string; retain: boolean }[] = [];
  const logs: string[] = [];

  beforeAll(async () => {
    broker = await startMosquitto();
    centre = await mqtt.connectAsync(broker.url, { clientId: 'centre', reconnectPeriod: 0 });
    centre.on('message', (topic, payload, packet) =>
      got.push({ topic, payload: payload.toString(), retain: packet.retain }),
    );
    await centre.subscribeAsync('siaga/v1/gw/gw-test/#', { qos: 1 });
    const config = testConfig(`
uplink: {url: "${broker.url}", username: gw-test, password: "${UPLINK_PASSWORD}", batch: {max_readings: 50, max_delay_ms: 20}}
commands: {keys: [{id: ops-1, secret: "${CMD_SECRET}"}], max_skew_s: 60}
`);
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    });
    gw = await startGateway({
      config,
      log: pino({ level: 'debug' }, sink),
      noControl: true,
      sirenOut: new Writable({ write: (_c, _e, cb) => cb() }),
    });
  });

  afterAll(async () => {
    await gw?.stop();
    await centre?.endAsync();
    await broker?.close();
  });

  const messages = (suffix: string) =>
    got.filter((m) => m.topic.endsWith(suffix)).map((m) => JSON.parse(m.payload));

  it('publishes retained status, then every reading and the level events once, events first', async () => {
    await until('retained status', () => messages('/status').some((s) => s.online === true));
    for (let seq = 1; seq <= 120; seq++) {
      gw.ingest.acceptLine(encodeSg1({ node: 'pir-07', seq, type: 'hb', v: { bat: 3.9 } }), {
        via: 'serial',
        from: 't',
      });
    }
    gw.ingest.acceptLine(encodeSg1({ node: 'btn-pos1', seq: 1, type: 'btn', v: { p: 1 } }), {
      via: 'serial',
      from: 't',
    });
    const readings = await until('121 readings', () => {
      const all = messages('/readings').flatMap((b) => b.readings);
      return all.length >= 121 && all;
    });
    const ids = readings.map((r: { id: string }) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(readings[0]).toMatchObject({ node: 'pir-07', seq: 1, type: 'hb', via: 'serial', v: { bat: 3.9 } });
    const level = await until('AWAS event', () =>
      messages('/events').find((e) => e.kind === 'level' && e.level === 'AWAS'),
    );
    expect(level).toMatchObject({
      zone: 'z-braja',
      prev: 'NORMAL',
      manual: true,
      village_code: '18.07.11.2005',
    });
    expect(level.reason).toMatch(/btn-pos1/);
    await until('outbox drained', () => {
      const b = gw.outbox.backlog();
      return b.events === 0 && b.readings === 0;
    });
  });

  it('answers signed commands on cmd/res and acts on them: silence, status, config.get without secrets', async () => {
    const send = async (cmd: string, args: unknown) => {
      const f = { id: `c-${randomUUID()}`, ts: Date.now(), nonce: randomUUID().replace(/-/g, ''), cmd, args };
      await centre.publishAsync(
        'siaga/v1/gw/gw-test/cmd/req',
        JSON.stringify({ ...f, key_id: 'ops-1', sig: signCommand(CMD_SECRET, f) }),
        { qos: 1 },
      );
      return until(`answer to ${cmd}`, () => messages('/cmd/res').find((r) => r.id === f.id));
    };
    const silenced = await send('siren.silence', { zone: 'z-braja', minutes: 30 });
    expect(silenced.ok).toBe(true);
    expect(gw.sirens.silences().map((s) => s.zone)).toEqual(['z-braja']);
    const st = await send('status', {});
    expect(st).toMatchObject({ ok: true, result: { gateway: 'gw-test', nodes: { total: 5 } } });
    const cfg = await send('config.get', {});
    expect(cfg.ok).toBe(true);
    expect(cfg.result.uplink.password).toBe('[redacted]');

    const forged = {
      id: 'c-forged',
      ts: Date.now(),
      nonce: 'abcdef0123456789',
      cmd: 'siren.off',
      args: { siren: 's-1' },
    };
    await centre.publishAsync(
      'siaga/v1/gw/gw-test/cmd/req',
      JSON.stringify({ ...forged, key_id: 'ops-1', sig: signCommand('not-the-secret-at-all!', forged) }),
      { qos: 1 },
    );
    const refused = await until('refusal', () => messages('/cmd/res').find((r) => r.id === 'c-forged'));
    expect(refused).toMatchObject({ ok: false });
  });

  it('never shows a secret: not on the wire, in status, config.get, the logs or the export', () => {
    const secrets = secretValues(gw.config);
    expect(secrets).toEqual(expect.arrayContaining([UPLINK_PASSWORD, CMD_SECRET]));
    const surfaces = [
      got.map((m) => m.payload).join('\n'),
      JSON.stringify(gw.status()),
      JSON.stringify(gw.services.configGet()),
      logs.join(''),
      [...readingsCsv(gw.db, 0, Date.now() + 1, gw.config.gateway.site, gw.config.gateway.id)].join(''),
    ];
    expect(logs.length).toBeGreaterThan(10);
    for (const s of secrets) for (const text of surfaces) expect(text).not.toContain(s);
  });
});
