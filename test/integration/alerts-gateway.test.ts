import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentView } from '../../src/alerts/view.js';
import { encodeSg1 } from '../../src/codecs/sg1.js';
import type { Config } from '../../src/config/schema.js';
import { type Gateway, startGateway } from '../../src/main.js';
import { signCommand } from '../../src/uplink/hmac.js';
import { validateCap, xmllintAvailable } from '../fixtures/cap/xmllint.js';
import { type GammuRig, gammuRig, gammuSmsdAvailable } from '../fixtures/sms/gammu-rig.js';
import { FakeEarthRanger, fetchTrusting } from '../helpers/earthranger-server.js';
import { testConfig, tmpDir } from '../helpers/gateway.js';
import { type Mosquitto, mosquittoAvailable, startMosquitto } from '../helpers/mosquitto.js';
import { makeTestPki } from '../helpers/tls-cert.js';
import { until } from '../helpers/wait.js';

/**
 * Alerts for people end to end (issue 14): a real gateway, the real gammu-smsd (dummy phone) and a
 * real Mosquitto as the centre. An AWAS opens an incident, the ranger gets an SMS, the centre gets a
 * CAP Alert that passes the OASIS schema; the ranger's reply acknowledges; the all-clear closes.
 */

const CMD_SECRET = 'cmd-secret-for-alerts-0123456789';
const RANGER = '+6281234567890';
const KADES = '+6281298765432';
const quiet = () => new Writable({ write: (_c, _e, cb) => cb() });

function alertsConfig(spool: string, brokerUrl: string, dir = tmpDir(), steps?: string): Config {
  return testConfig(
    `
uplink: {url: "${brokerUrl}", batch: {max_readings: 50, max_delay_ms: 20}}
commands: {keys: [{id: ops-1, secret: "${CMD_SECRET}"}], max_skew_s: 60}
detection: {hold_s: 5}
alerts:
  enabled: true
  group_wait_s: 1
  sms: {driver: gammu-smsd, spool: ${spool}}
  contacts:
    - {id: ranger-1, name: Darto, phone: "${RANGER}", roles: [ranger]}
    - {id: kades, name: Kepala Desa, phone: "${KADES}", roles: [village]}
  policies:
    - zone: "*"
      repeat_min: 30
      steps:
${
  steps ??
  `        - {after_min: 0, notify: ["role:ranger"], min_level: SIAGA}
        - {after_min: 60, notify: [kades], min_level: AWAS}`
}
  cap: {sender: siaga-gw-test@lampungtimurkab.go.id, dir: ${join(dir, 'cap')}}
`,
    dir,
  );
}

let seq = 1;
function press(gw: Gateway, p: 0 | 1 | 2, node = 'btn-pos1'): void {
  gw.ingest.acceptLine(encodeSg1({ node, seq: seq++, type: 'btn', v: { p } }), { via: 'serial', from: 't' });
}

const incidents = (gw: Gateway): IncidentView[] => gw.services.alerts?.list().incidents ?? [];

/** What gammu-smsd handed to the (dummy) phone network: the sent/ folder's files, by recipient. */
function sentTo(rig: GammuRig, phone: string): string[] {
  return readdirSync(join(rig.spool, 'sent')).filter((f) => f.includes(phone.replace('+', '')));
}

describe.skipIf(!gammuSmsdAvailable() || !mosquittoAvailable() || !xmllintAvailable())(
  'alerts for people through the real gammu-smsd, Mosquitto and the CAP schema',
  () => {
    let broker: Mosquitto;
    let centre: MqttClient;
    const got: { topic: string; payload: string }[] = [];
    let rig: GammuRig | undefined;
    let gw: Gateway | undefined;

    beforeAll(async () => {
      broker = await startMosquitto();
      centre = await mqtt.connectAsync(broker.url, { clientId: 'centre-alerts', reconnectPeriod: 0 });
      centre.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
      await centre.subscribeAsync('siaga/v1/gw/gw-test/#', { qos: 1 });
    });
    afterEach(async () => {
      await gw?.stop();
      gw = undefined;
      await rig?.stop();
      rig = undefined;
      got.length = 0;
    });
    afterAll(async () => {
      await centre?.endAsync();
      await broker?.close();
    });

    const events = (kind: string) =>
      got
        .filter((m) => m.topic.endsWith('/events'))
        .map((m) => JSON.parse(m.payload))
        .filter((e) => e.kind === kind);
    const caps = () => got.filter((m) => m.topic === 'siaga/v1/gw/gw-test/cap').map((m) => m.payload);

    it('AWAS → SMS to the ranger and a valid CAP Alert; the reply "ok <code>" acknowledges; the all-clear cancels', async () => {
      rig = gammuRig();
      rig.start();
      const config = alertsConfig(rig.spool, broker.url);
      gw = await startGateway({ config, noControl: true, sirenOut: quiet() });
      press(gw, 1);
      const opened = await until('an open incident', () =>
        incidents(gw as Gateway).find((i) => i.level === 'AWAS'),
      );
      expect(opened).toMatchObject({
        zone: 'z-braja',
        state: 'open',
        code: expect.stringMatching(/^[1-9]\d{3}$/),
      });

      // The ranger's SMS went through the daemon to the phone network: sent/ has it, state "sent".
      await until('the ranger SMS sent', () => sentTo(rig as GammuRig, RANGER).length === 1, 30_000);
      const sms = await until('state sent', () =>
        incidents(gw as Gateway)[0]?.notifications.find((n) => n.channel === 'sms' && n.state === 'sent'),
      );
      expect(sms).toMatchObject({ contact: 'ranger-1', kind: 'alert' });
      // Nobody else yet: the village head's step is an hour away.
      expect(sentTo(rig, KADES)).toEqual([]);

      // The centre: an `incident` event and the CAP Alert as XML on .../cap, valid against CAP 1.2.
      const ev = await until('incident event', () => events('incident')[0]);
      expect(ev).toMatchObject({ incident: opened.id, zone: 'z-braja', level: 'AWAS', change: 'opened' });
      const alert = await until('CAP Alert', () => caps()[0]);
      expect(alert).toContain('<msgType>Alert</msgType>');
      expect(alert).toContain('<event>Gajah liar mendekati permukiman</event>');
      expect(alert).toMatch(/<sent>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00<\/sent>/);
      // …and the same document as a file for the Atom feed.
      const files = readdirSync(config.alerts.cap.dir);
      expect(files.some((f) => readFileSync(join(config.alerts.cap.dir, f), 'utf8') === alert)).toBe(true);

      // A stranger's "OK <code>" is refused and counted; the ranger's (any case, spaces) acknowledges.
      press(gw, 1); // still there: the alarm is held while the people answer
      rig.phoneReceives('+6289999999999', `OK ${opened.code}`);
      await until('refused reply', () => events('sms_refused')[0]);
      expect(incidents(gw)[0]?.state).toBe('open');
      rig.phoneReceives(RANGER, `  ok   ${opened.code} `);
      const acked = await until(
        'acknowledged',
        () => incidents(gw as Gateway).find((i) => i.state === 'acked'),
        30_000,
      );
      expect(acked.acks).toEqual([{ by: 'Darto', channel: 'sms', at: expect.any(String) }]);
      const ack = await until('ack event', () => events('ack')[0]);
      expect(ack).toMatchObject({
        kind: 'ack',
        incident: opened.id,
        zone: 'z-braja',
        by: 'Darto',
        channel: 'sms',
      });
      await until('CAP Ack', () => caps().some((x) => x.includes('<msgType>Ack</msgType>')));
      const refused = events('sms_refused')[0];
      expect(refused.from).toBe('+62899****9999');

      // The all-clear: cancel the alarm; the zone calms, the incident closes, CAP Cancel references all.
      press(gw, 0);
      const closed = await until(
        'closed',
        () => incidents(gw as Gateway).find((i) => i.state === 'closed'),
        60_000,
      );
      expect(closed.id).toBe(opened.id);
      const cancel = await until('CAP Cancel', () =>
        caps().find((x) => x.includes('<msgType>Cancel</msgType>')),
      );
      const earlier = caps().filter((x) => x !== cancel);
      for (const doc of earlier) {
        const identifier = /<identifier>([^<]+)<\/identifier>/.exec(doc)?.[1];
        expect(cancel).toContain(`,${identifier},`);
      }
      await until('all-clear SMS sent', () => sentTo(rig as GammuRig, RANGER).length === 2, 30_000);
      const lint = validateCap(caps());
      expect(lint.output).not.toMatch(/fails to validate|error/);
      expect(lint.ok).toBe(true);
    }, 180_000);

    it('a restart mid-escalation carries on: the next step goes out on time, nobody is told twice', async () => {
      rig = gammuRig();
      rig.start();
      const dir = tmpDir();
      const steps = `        - {after_min: 0, notify: ["role:ranger"], min_level: SIAGA}
        - {after_min: 0.1, notify: [kades], min_level: AWAS}`;
      const config = alertsConfig(rig.spool, broker.url, dir, steps);
      gw = await startGateway({ config, noControl: true, sirenOut: quiet() });
      press(gw, 1);
      await until('ranger SMS handed over', () =>
        incidents(gw as Gateway)[0]?.notifications.some((n) => n.contact === 'ranger-1'),
      );
      const before = incidents(gw)[0] as IncidentView;
      await gw.stop();
      gw = await startGateway({ config, noControl: true, sirenOut: quiet() });
      // The incident and its escalation came back from SQLite; the village head's step fires at +6 s
      // (the guard keeps the alarm up meanwhile: a held panic button lasts hold_s).
      expect(incidents(gw)[0]).toMatchObject({ id: before.id, code: before.code, state: 'open' });
      const keep = setInterval(() => gw && press(gw, 1), 2000);
      try {
        await until('kades SMS sent', () => sentTo(rig as GammuRig, KADES).length === 1, 40_000);
      } finally {
        clearInterval(keep);
      }
      await until('ranger SMS sent', () => sentTo(rig as GammuRig, RANGER).length >= 1, 30_000);
      const mine = incidents(gw)[0]?.notifications.filter((n) => n.channel === 'sms') ?? [];
      expect(mine.map((n) => n.contact).sort()).toEqual(['kades', 'ranger-1']);
      expect(sentTo(rig, RANGER)).toHaveLength(1);
    }, 120_000);

    it('acknowledges from the guard-post button (p=2) and by a signed centre command', async () => {
      rig = gammuRig();
      rig.start();
      const config = alertsConfig(rig.spool, broker.url);
      gw = await startGateway({ config, noControl: true, sirenOut: quiet() });
      press(gw, 1);
      const first = await until('incident', () => incidents(gw as Gateway)[0]);
      press(gw, 2);
      const byButton = await until('acked by button', () =>
        incidents(gw as Gateway).find((i) => i.acks.some((a) => a.channel === 'button')),
      );
      expect(byButton.acks[0]).toMatchObject({ by: 'btn-pos1', channel: 'button' });

      const f = {
        id: `c-${randomUUID()}`,
        ts: Date.now(),
        nonce: randomUUID().replace(/-/g, ''),
        cmd: 'alerts.ack',
        args: { code: first.code, by: 'Pusdalops' },
      };
      await until('uplink connected', () => gw?.forwarder?.state().connected);
      await centre.publishAsync(
        'siaga/v1/gw/gw-test/cmd/req',
        JSON.stringify({ ...f, key_id: 'ops-1', sig: signCommand(CMD_SECRET, f) }),
        { qos: 1 },
      );
      const res = await until('command answer', () =>
        got
          .filter((m) => m.topic.endsWith('/cmd/res'))
          .map((m) => JSON.parse(m.payload))
          .find((r) => r.id === f.id),
      );
      expect(res.ok).toBe(true);
      const acks = incidents(gw)[0]?.acks ?? [];
      expect(acks.map((a) => [a.by, a.channel])).toEqual([
        ['btn-pos1', 'button'],
        ['Pusdalops (cmd:ops-1)', 'command'],
      ]);
      // An unknown code is refused in words, on the same channel.
      const g = {
        ...f,
        id: `c-${randomUUID()}`,
        nonce: randomUUID().replace(/-/g, ''),
        args: { code: '9898' },
      };
      await centre.publishAsync(
        'siaga/v1/gw/gw-test/cmd/req',
        JSON.stringify({ ...g, key_id: 'ops-1', sig: signCommand(CMD_SECRET, g) }),
        { qos: 1 },
      );
      const bad = await until('refusal', () =>
        got
          .filter((m) => m.topic.endsWith('/cmd/res'))
          .map((m) => JSON.parse(m.payload))
          .find((r) => r.id === g.id),
      );
      expect(bad.ok).toBe(false);
      expect(bad.error).toMatch(/no incident has code or id "9898"/);
    }, 60_000);

    it('EarthRanger enabled: the AWAS becomes an event on the park server, the acknowledgement makes it active', async () => {
      rig = gammuRig();
      rig.start();
      const dir = tmpDir();
      const pki = makeTestPki(dir, 'er');
      const er = new FakeEarthRanger(['er-token-for-the-gateway']);
      await er.start(pki);
      try {
        const config = alertsConfig(rig.spool, broker.url, dir);
        config.alerts.earthranger = {
          enabled: true,
          mode: 'er',
          url: er.url,
          token: 'er-token-for-the-gateway',
          event_type: 'elephant_alert',
        };
        const remoteFetch = await fetchTrusting(readFileSync(pki.ca, 'utf8'));
        gw = await startGateway({ config, noControl: true, sirenOut: quiet(), remoteFetch });
        press(gw, 1);
        const inc = await until('incident', () => incidents(gw as Gateway)[0]);
        await until('the park event', () => er.events.size === 1);
        const ev = [...er.events.values()][0];
        expect(ev?.fields).toMatchObject({
          priority: 300,
          state: 'new',
          event_details: { zone: 'z-braja', code: inc.code },
        });
        press(gw, 2);
        await until('PATCH active', () => ev?.patches.some((p) => p.state === 'active'));
        expect(
          (gw.status().alerts as { earthranger: { sent: number } }).earthranger.sent,
        ).toBeGreaterThanOrEqual(2);
      } finally {
        await gw?.stop();
        gw = undefined;
        await er.close();
      }
    }, 60_000);

    it('keeps messages queued while the spool is missing and sends them once it is back', async () => {
      const dir = tmpDir();
      const spool = join(dir, 'spool-not-yet');
      const config = alertsConfig(spool, broker.url, dir);
      gw = await startGateway({ config, noControl: true, sirenOut: quiet() });
      press(gw, 1);
      await until('incident', () => incidents(gw as Gateway)[0]);
      const st = await until('a hand-over error in status', () => {
        const a = (gw as Gateway).status().alerts as { sms: { queued: number; last_error: string | null } };
        return a.sms.last_error !== null && a;
      });
      expect(st.sms.queued).toBe(1);
      expect(st.sms.last_error).toMatch(/spool|outbox|no such/i);
      // The technician creates the spool and starts gammu-smsd: the queued SMS goes out.
      rig = gammuRig();
      const { mkdirSync, symlinkSync } = await import('node:fs');
      mkdirSync(dir, { recursive: true });
      symlinkSync(rig.spool, spool);
      rig.start();
      await until('the queued SMS sent', () => sentTo(rig as GammuRig, RANGER).length === 1, 60_000);
    }, 120_000);
  },
);
