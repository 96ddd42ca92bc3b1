import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeSg1 } from '../../src/codecs/sg1.js';
import { loadConfig } from '../../src/config/load.js';
import { type Gateway, startGateway } from '../../src/main.js';
import { tmpDir } from '../helpers/gateway.js';
import { freePort, type Mosquitto, mosquittoAvailable, startMosquitto } from '../helpers/mosquitto.js';
import { makeTestPki, type TestPki } from '../helpers/tls-cert.js';
import { writePasswordFile } from '../helpers/uplink-centre.js';
import { until } from '../helpers/wait.js';

const GW_PASSWORD = 'gw-tls-pw-never-shown-7c1e';
const WRONG_PASSWORD = 'wrong-pw-also-never-shown-52d0';
const CENTRE_PASSWORD = 'centre-pw-4b9a';

describe.skipIf(!mosquittoAvailable())(
  'uplink over TLS with a CA file and a password file (real Mosquitto)',
  () => {
    let pkiDir: string;
    let pki: TestPki;
    let rogue: TestPki;
    let broker: Mosquitto;
    let tlsPort: number;
    let centre: MqttClient;
    const got: { topic: string; payload: string; retain: boolean }[] = [];
    const gateways: Gateway[] = [];
    const dirs: string[] = [];

    beforeAll(async () => {
      pkiDir = tmpDir('siaga-tls-');
      pki = makeTestPki(pkiDir, 'central');
      rogue = makeTestPki(pkiDir, 'rogue');
      const passwd = join(pkiDir, 'mosquitto.passwd');
      writePasswordFile(passwd, { 'gw-tls': GW_PASSWORD, centre: CENTRE_PASSWORD });
      tlsPort = await freePort();
      broker = await startMosquitto({
        extraConfig: [
          `listener ${tlsPort} 127.0.0.1`,
          `cafile ${pki.ca}`,
          `certfile ${pki.cert}`,
          `keyfile ${pki.key}`,
          `password_file ${passwd}`,
          'allow_anonymous false',
        ],
      });
      centre = await mqtt.connectAsync(`mqtts://127.0.0.1:${tlsPort}`, {
        clientId: 'centre-tls',
        username: 'centre',
        password: CENTRE_PASSWORD,
        ca: readFileSync(pki.ca),
        reconnectPeriod: 0,
      });
      centre.on('message', (topic, payload, packet) =>
        got.push({ topic, payload: payload.toString(), retain: packet.retain }),
      );
      await centre.subscribeAsync('siaga/v1/gw/#', { qos: 1 });
    });

    afterEach(async () => {
      await Promise.all(gateways.splice(0).map((g) => g.stop()));
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    });

    afterAll(async () => {
      await centre?.endAsync(true);
      await broker?.close();
      if (pkiDir) rmSync(pkiDir, { recursive: true, force: true });
    });

    /**
     * Writes `<dir>/siaga.yaml` with a TLS uplink, the password in `./uplink.pass` next to it (a
     * relative path the loader resolves against the config's directory), and starts the gateway.
     */
    async function start(id: string, password: string, caFile: string) {
      const dir = tmpDir('siaga-tls-gw-');
      dirs.push(dir);
      writeFileSync(join(dir, 'uplink.pass'), `${password}\n`, { mode: 0o600 });
      // The CA sits next to the config and is named relative to it, as a technician writes it.
      copyFileSync(caFile, join(dir, 'ca.pem'));
      const file = join(dir, 'siaga.yaml');
      writeFileSync(
        file,
        `
gateway: {id: ${id}, site: {name: Desa Uji, village_code: "18.07.11.2005", park: TNWK, lat: -5.02, lon: 105.76}}
storage: {path: ./siaga.db, group_commit: {max_delay_ms: 2, routine_delay_ms: 10}}
uplink:
  url: mqtts://127.0.0.1:${tlsPort}
  username: gw-tls
  password_file: ./uplink.pass
  ca_file: ./ca.pem
  batch: {max_readings: 50, max_delay_ms: 20}
  backoff: {min_ms: 100, max_ms: 1000}
nodes:
  - {id: pir-07, type: pir, zone: z-braja}
zones: [{id: z-braja, name: Braja, sirens: [s-1]}]
sirens: [{id: s-1, driver: print}]
control: {socket: ${join(dir, 'siaga.sock')}}
`,
      );
      const logs: string[] = [];
      const sink = new Writable({
        write(chunk, _enc, cb) {
          logs.push(String(chunk));
          cb();
        },
      });
      const gw = await startGateway({
        config: loadConfig(file).config,
        log: pino({ level: 'debug' }, sink),
        noControl: true,
        sirenOut: new Writable({ write: (_c, _e, cb) => cb() }),
      });
      gateways.push(gw);
      return { gw, logs };
    }

    const uplinkErrors = (logs: string[]) => logs.filter((l) => l.includes('"msg":"uplink error"')).length;
    const failedWarning = (logs: string[]) =>
      logs.find((l) => l.includes('"level":40') && l.includes('"msg":"uplink connection failed"'));
    const messages = (topic: string) =>
      got.filter((m) => m.topic === topic).map((m) => JSON.parse(m.payload));

    it('delivers readings over mqtts with the CA file and the password from password_file; retained status online', async () => {
      const { gw, logs } = await start('gw-tls', GW_PASSWORD, pki.ca);
      await until('uplink connected', () => gw.status().uplink?.connected);
      gw.ingest.acceptLine(encodeSg1({ node: 'pir-07', seq: 41, type: 'pir', v: { n: 3, bat: 3.71 } }), {
        via: 'serial',
        from: 'test',
      });
      const batch = await until(
        'the reading at the centre',
        () => messages('siaga/v1/gw/gw-tls/readings')[0],
      );
      expect(batch).toMatchObject({
        gw: 'gw-tls',
        readings: [{ node: 'pir-07', seq: 41, type: 'pir', via: 'serial', v: { n: 3, bat: 3.71 } }],
      });
      expect(messages('siaga/v1/gw/gw-tls/status')[0]).toMatchObject({
        online: true,
        site: { village_code: '18.07.11.2005' },
      });

      // A newcomer at the centre gets the retained status: the gateway is online.
      const late = await mqtt.connectAsync(`mqtts://127.0.0.1:${tlsPort}`, {
        clientId: 'centre-late',
        username: 'centre',
        password: CENTRE_PASSWORD,
        ca: readFileSync(pki.ca),
        reconnectPeriod: 0,
      });
      try {
        const retained: { payload: string; retain: boolean }[] = [];
        late.on('message', (_t, p, packet) =>
          retained.push({ payload: p.toString(), retain: packet.retain }),
        );
        await late.subscribeAsync('siaga/v1/gw/gw-tls/status', { qos: 1 });
        const r = await until('retained status', () => retained.find((m) => m.retain));
        expect(JSON.parse(r.payload)).toMatchObject({ online: true });
      } finally {
        await late.endAsync(true);
      }
      expect(gw.status().uplink).toMatchObject({ connected: true, lastError: null });
      expect(JSON.stringify(gw.status())).not.toContain(GW_PASSWORD);
      expect(logs.join('')).not.toContain(GW_PASSWORD);
    });

    it('a wrong password in the file: nothing delivered, not connected, lastError says not authorized, password shown nowhere', async () => {
      const { gw, logs } = await start('gw-tls-badpw', WRONG_PASSWORD, pki.ca);
      await until('an authorization error', () =>
        /not authori[sz]ed/i.test(gw.status().uplink?.lastError ?? ''),
      );
      gw.ingest.acceptLine(encodeSg1({ node: 'pir-07', seq: 1, type: 'pir', v: { n: 1 } }), {
        via: 'serial',
        from: 'test',
      });
      await until('the reading in the outbox', () => gw.status().uplink?.backlog.readings === 1);
      // Two more refused attempts after the reading was stored: it had every chance to go out.
      const seen = uplinkErrors(logs);
      await until('two more refused attempts', () => uplinkErrors(logs) >= seen + 2);

      const st = gw.status();
      expect(st.uplink).toMatchObject({ connected: false, sentReadings: 0, backlog: { readings: 1 } });
      expect(st.uplink?.lastError).toMatch(/not authori[sz]ed/i);
      // The journal alone tells the technician why: the cause is in the warning line.
      expect(failedWarning(logs)).toMatch(/"cause":"auth_refused"/);
      expect(got.filter((m) => m.topic.startsWith('siaga/v1/gw/gw-tls-badpw/'))).toEqual([]);
      expect(JSON.stringify(st)).not.toContain(WRONG_PASSWORD);
      expect(logs.length).toBeGreaterThan(5);
      expect(logs.join('')).not.toContain(WRONG_PASSWORD);
    });

    it('a CA that did not sign the broker certificate: not connected, lastError names the certificate problem', async () => {
      const { gw, logs } = await start('gw-tls-badca', GW_PASSWORD, rogue.ca);
      await until('a certificate error', () => /certificate/i.test(gw.status().uplink?.lastError ?? ''));
      gw.ingest.acceptLine(encodeSg1({ node: 'pir-07', seq: 1, type: 'pir', v: { n: 1 } }), {
        via: 'serial',
        from: 'test',
      });
      const seen = uplinkErrors(logs);
      await until('two more refused attempts', () => uplinkErrors(logs) >= seen + 2);

      const st = gw.status();
      expect(st.uplink).toMatchObject({ connected: false, sentReadings: 0, backlog: { readings: 1 } });
      expect(st.uplink?.lastError).toMatch(/certificate/i);
      expect(failedWarning(logs)).toMatch(/"cause":"tls:[A-Z_]+"/);
      expect(got.filter((m) => m.topic.startsWith('siaga/v1/gw/gw-tls-badca/'))).toEqual([]);
      expect(logs.join('')).not.toContain(GW_PASSWORD);
    });
  },
);
