import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSg1 } from '../../src/codecs/sg1.js';
import type { Config } from '../../src/config/schema.js';
import type { Values } from '../../src/domain/index.js';
import { type Gateway, startGateway } from '../../src/main.js';
import { tmpDir } from '../helpers/gateway.js';
import { type Mosquitto, mosquittoAvailable, startMosquitto } from '../helpers/mosquitto.js';
import { gwConfig, levelEvents, neighbourOf, sirenOut } from '../helpers/neighbours.js';
import { until } from '../helpers/wait.js';

const A = 'gw-braja-02';
const B = 'gw-tegal-01';

/** The centre's Mosquitto ACL as README "Neighbouring villages" documents it. */
const ACL = `pattern readwrite siaga/v1/gw/%u/#

user ${A}
topic read siaga/v1/gw/${B}/events

user ${B}
topic read siaga/v1/gw/${A}/events

user centre
topic read siaga/v1/gw/#
`;

describe.skipIf(!mosquittoAvailable())(
  'pre-alerts through the centre (two gateways, Mosquitto with ACL)',
  () => {
    let broker: Mosquitto;
    let a: Gateway;
    let b: Gateway;
    let bConfig: Config;
    const aSiren = sirenOut();
    const bSiren = sirenOut();
    let seq = 0;
    const send = (node: string, type: 'cam' | 'pir', v: Values) =>
      a.ingest.acceptLine(encodeSg1({ node, seq: ++seq, type, v }), { via: 'serial', from: 't' });

    beforeAll(async () => {
      const aclFile = join(tmpDir('siaga-acl-'), 'acl');
      writeFileSync(aclFile, ACL);
      broker = await startMosquitto({ extraConfig: [`acl_file ${aclFile}`] });
      // A: its evidence lasts 3 s and each step down waits 1 s, so its all-clear comes within seconds.
      a = await startGateway({
        config: gwConfig(
          A,
          `uplink: {url: "${broker.url}", username: ${A}, batch: {max_delay_ms: 20}}
detection: {window_s: 3, hold_s: 1}
neighbours:
  - {gateway: ${B}, zones: {z-braja: z-braja}, distance_m: 1200, direction: east}`,
        ),
        noControl: true,
        sirenOut: aSiren.stream,
      });
      // B sounds already at SIAGA: the strictest test that a pre-alert never sounds a siren.
      bConfig = gwConfig(
        B,
        `uplink: {url: "${broker.url}", username: ${B}, batch: {max_delay_ms: 20}}
detection: {hold_s: 2}
siren_policy: {sound_at: SIAGA}
neighbours:
  - {gateway: ${A}, zones: {z-braja: z-braja}, distance_m: 1200, direction: west}`,
      );
      b = await startGateway({ config: bConfig, noControl: true, sirenOut: bSiren.stream });
      await until('B subscribed to A through the centre', () => neighbourOf(b).links.centre === true);
      await until('A connected', () => a.status().uplink?.connected === true);
    });

    afterAll(async () => {
      await b?.stop();
      await a?.stop();
      await broker?.close();
    });

    it('A’s herd at AWAS lifts B’s mapped zone to WASPADA with the reason, B’s siren stays silent; A’s all-clear withdraws it', async () => {
      // The herd passes A's PIR (WASPADA: no pre-alert), then A's camera sees it: AWAS at once.
      send('pir-07', 'pir', { n: 4 });
      send('pir-07', 'pir', { n: 4 });
      expect(a.engine.level('z-braja')).toBe('WASPADA');
      send('cam-02', 'cam', { label: 'elephant', conf: 1 });
      expect(a.engine.level('z-braja')).toBe('AWAS');
      await until('B at WASPADA', () => b.engine.level('z-braja') === 'WASPADA');
      const level = await until('B level event', () => levelEvents(b).find((f) => f.level === 'WASPADA'));
      expect(level).toMatchObject({ zone: 'z-braja', level: 'WASPADA', local: false, nodes: [A] });
      expect(level.reason).toBe('WASPADA: gw-braja-02 AWAS 1.2 km west; score 30');
      expect(levelEvents(a).find((f) => f.level === 'AWAS')).toMatchObject({ local: true });
      expect(aSiren.sounded()).toBe(true); // A's own AWAS sounds A's siren…
      expect(bSiren.sounded()).toBe(false); // …the pre-alert never sounds B's

      // A's evidence expires (3 s) and it steps down: below SIAGA withdraws the pre-alert, then B
      // follows its own hold back to NORMAL.
      await until('A back to NORMAL', () => a.engine.level('z-braja') === 'NORMAL', 20_000);
      await until('B withdrawn', () => b.engine.score('z-braja') === 0, 20_000);
      // The engine steps down before its level event is committed (the writer's group commit): count
      // A's events once its NORMAL is on disk, or a slow commit reads as a loop.
      await until('A’s NORMAL recorded', () => levelEvents(a).at(-1)?.level === 'NORMAL', 20_000);
      const aCalm = levelEvents(a).length;
      await until('B back to NORMAL', () => b.engine.level('z-braja') === 'NORMAL', 20_000);
      expect(bSiren.sounded()).toBe(false);
      expect(neighbourOf(b).last_event).toMatchObject({ zone: 'z-braja' });

      // No loop: A heard B's WASPADA and its all-clear (A listens to B too), and they raised nothing.
      await until('A heard B’s all-clear', () => neighbourOf(a).last_event?.level === 'NORMAL');
      expect(neighbourOf(a).accepted).toBeGreaterThanOrEqual(2);
      expect(a.engine.level('z-braja')).toBe('NORMAL');
      expect(a.engine.score('z-braja')).toBe(0);
      expect(levelEvents(a)).toHaveLength(aCalm);
    });

    it('a stale event and a payload naming another gateway are ignored and counted; the ACL keeps others off A’s topic', async () => {
      // A's own events from the test before may still be on their way to B: the count to compare
      // with is the one that has stopped moving.
      let seen = neighbourOf(b).accepted;
      for (let still = 0; still < 5; ) {
        await new Promise((r) => setTimeout(r, 100));
        const now = neighbourOf(b).accepted;
        still = now === seen ? still + 1 : 0;
        seen = now;
      }
      const before = neighbourOf(b);
      const asA = await mqtt.connectAsync(broker.url, {
        username: A,
        clientId: 'test-as-a',
        reconnectPeriod: 0,
      });
      const evil = await mqtt.connectAsync(broker.url, {
        username: 'gw-evil-09',
        clientId: 'test-evil',
        reconnectPeriod: 0,
      });
      try {
        const awas = (over: Record<string, unknown>) =>
          JSON.stringify({
            id: `t-${seq++}`,
            ts: Date.now(),
            kind: 'level',
            zone: 'z-braja',
            level: 'AWAS',
            local: true,
            ...over,
          });
        // Denied by the ACL (Mosquitto still PUBACKs under 3.1.1): B must never see it. Its PUBACK
        // comes after the broker routed it, so the messages below arrive after it would have.
        await evil.publishAsync(`siaga/v1/gw/${A}/events`, awas({}), { qos: 1 });
        await asA.publishAsync(`siaga/v1/gw/${A}/events`, awas({ ts: Date.now() - 700_000 }), { qos: 1 });
        await asA.publishAsync(`siaga/v1/gw/${A}/events`, awas({ gw: 'gw-evil-09' }), { qos: 1 });
        await until('stale and mismatch counted', () => {
          const n = neighbourOf(b);
          return (
            (n.ignored.stale ?? 0) === (before.ignored.stale ?? 0) + 1 &&
            (n.ignored.gw_mismatch ?? 0) === (before.ignored.gw_mismatch ?? 0) + 1
          );
        });
        expect(b.engine.score('z-braja')).toBe(0);
        expect(b.engine.level('z-braja')).toBe('NORMAL');
        expect(neighbourOf(b).accepted).toBe(before.accepted);
        expect(b.status().counters.neighbours).toMatchObject({ stale: 1, gw_mismatch: 1 });
      } finally {
        await asA.endAsync();
        await evil.endAsync();
      }
    });

    it('B away for a moment (a restart) still gets A’s AWAS on return: the centre kept B’s session', async () => {
      await b.stop();
      const sent = a.status().uplink?.sentEvents ?? 0;
      send('pir-07', 'pir', { n: 4 });
      send('pir-07', 'pir', { n: 4 });
      send('cam-02', 'cam', { label: 'elephant', conf: 1 });
      expect(a.engine.level('z-braja')).toBe('AWAS');
      // Its level events (WASPADA, AWAS) acknowledged by the centre while B is away.
      await until('A’s AWAS at the centre', () => {
        const u = a.status().uplink;
        return u !== undefined && u !== null && u.sentEvents >= sent + 2 && u.backlog.events === 0;
      });
      b = await startGateway({ config: bConfig, noControl: true, sirenOut: bSiren.stream });
      await until('B at WASPADA after its return', () => b.engine.level('z-braja') === 'WASPADA');
      expect(bSiren.sounded()).toBe(false);
    });
  },
);
