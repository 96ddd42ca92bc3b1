import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/broker/password.js';
import { encodeSg1 } from '../../src/codecs/sg1.js';
import type { Values } from '../../src/domain/index.js';
import { type Gateway, startGateway } from '../../src/main.js';
import { freePort } from '../helpers/mosquitto.js';
import { gwConfig, levelEvents, neighbourOf, sirenOut } from '../helpers/neighbours.js';
import { until } from '../helpers/wait.js';

const A = 'gw-braja-02';
const B = 'gw-tegal-01';
const VIEWER_PW = 'nb-viewer-pw-5a1c';
const ADMIN_PW = 'admin-pw-77e0';

// No Mosquitto at all: B listens to A's own local broker as a viewer, and B's centre is down.
describe('pre-alerts between two gateways’ local brokers, with no centre', () => {
  let a: Gateway;
  let b: Gateway;
  let aPort: number;
  const bSiren = sirenOut();
  let seq = 0;
  const send = (node: string, type: 'cam' | 'pir', v: Values) =>
    a.ingest.acceptLine(encodeSg1({ node, seq: ++seq, type, v }), { via: 'serial', from: 't' });

  /** A technician (admin of A's broker): may publish on siaga/local/events, as A itself does. */
  const asTech = () =>
    mqtt.connectAsync(`mqtt://127.0.0.1:${aPort}`, {
      username: 'tech',
      password: ADMIN_PW,
      reconnectPeriod: 0,
    });

  beforeAll(async () => {
    aPort = await freePort();
    const deadCentre = await freePort(); // nothing listens there: the centre is down all along
    a = await startGateway({
      config: gwConfig(
        A,
        `detection: {window_s: 3, hold_s: 1}
local_broker:
  enabled: true
  port: ${aPort}
  users:
    - {username: nb-tegal, password_hash: "${await hashPassword(VIEWER_PW)}", role: viewer}
    - {username: tech, password_hash: "${await hashPassword(ADMIN_PW)}", role: admin}`,
      ),
      noControl: true,
      sirenOut: sirenOut().stream,
    });
    b = await startGateway({
      config: gwConfig(
        B,
        `uplink: {url: "mqtt://127.0.0.1:${deadCentre}", backoff: {min_ms: 200, max_ms: 1000}}
detection: {hold_s: 2}
siren_policy: {sound_at: SIAGA}
neighbours:
  - gateway: ${A}
    zones: {z-braja: z-braja}
    distance_m: 800
    direction: north-east
    weight: 40
    broker: {url: "mqtt://127.0.0.1:${aPort}", username: nb-tegal, password: "${VIEWER_PW}"}`,
      ),
      noControl: true,
      sirenOut: bSiren.stream,
    });
    await until('B listening to A’s broker', () => neighbourOf(b).links.mesh === true);
  });

  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('A’s AWAS reaches B over A’s broker while the centre is down; B goes to WASPADA silently; A’s all-clear withdraws it', async () => {
    expect(b.status().uplink?.connected).toBe(false);
    send('pir-07', 'pir', { n: 4 });
    send('pir-07', 'pir', { n: 4 });
    send('cam-02', 'cam', { label: 'elephant', conf: 1 });
    expect(a.engine.level('z-braja')).toBe('AWAS');
    await until('B at WASPADA', () => b.engine.level('z-braja') === 'WASPADA');
    const level = await until('B level event', () => levelEvents(b).find((f) => f.level === 'WASPADA'));
    expect(level).toMatchObject({
      local: false,
      reason: 'WASPADA: gw-braja-02 AWAS 800 m north-east; score 40',
    });
    expect(bSiren.sounded()).toBe(false);
    await until('B withdrawn', () => b.engine.score('z-braja') === 0, 20_000);
    await until('B back to NORMAL', () => b.engine.level('z-braja') === 'NORMAL', 20_000);
    expect(bSiren.sounded()).toBe(false);
    expect(b.status().uplink?.connected).toBe(false);
  });

  it('a stale event on A’s broker is ignored and counted', async () => {
    const before = neighbourOf(b).ignored.stale ?? 0;
    const tech = await asTech();
    try {
      const stale = {
        id: 't-1',
        ts: Date.now() - 601_000,
        kind: 'level',
        zone: 'z-braja',
        level: 'AWAS',
        local: true,
      };
      await tech.publishAsync('siaga/local/events', JSON.stringify({ ...stale, gw: A }), { qos: 1 });
      await until('stale counted', () => neighbourOf(b).ignored.stale === before + 1);
      expect(b.engine.score('z-braja')).toBe(0);
    } finally {
      await tech.endAsync();
    }
  });

  it('a reload that drops the neighbour withdraws its pre-alert and leaves A’s broker', async () => {
    const tech = await asTech();
    try {
      const awas = {
        id: 't-2',
        ts: Date.now(),
        kind: 'level',
        zone: 'z-braja',
        level: 'AWAS',
        local: true,
        gw: A,
      };
      await tech.publishAsync('siaga/local/events', JSON.stringify(awas), { qos: 1 });
      await until('pre-alert held', () => b.engine.score('z-braja') === 40);
    } finally {
      await tech.endAsync();
    }
    const restart = await b.reload({ ...b.config, neighbours: [] });
    expect(restart).toEqual([]);
    expect(b.engine.score('z-braja')).toBe(0);
    expect(b.status().neighbours).toBeUndefined();
    await until('B left A’s broker', () => a.broker?.stats().clients.viewer === 0);
  });

  it('a viewer of A’s broker may read its events but not publish them', async () => {
    const viewer = await mqtt.connectAsync(`mqtt://127.0.0.1:${aPort}`, {
      username: 'nb-tegal',
      password: VIEWER_PW,
      clientId: 'test-viewer',
      reconnectPeriod: 0,
    });
    const closed = new Promise<void>((resolve) => viewer.once('close', () => resolve()));
    viewer.publish(
      'siaga/local/events',
      JSON.stringify({ ts: Date.now(), kind: 'level', zone: 'z-braja', level: 'AWAS', local: true }),
      { qos: 1 },
    );
    await closed; // a forbidden publish closes the connection (docs/wire.md §4)
    expect(b.engine.score('z-braja')).toBe(0);
    viewer.end(true);
  });
});
