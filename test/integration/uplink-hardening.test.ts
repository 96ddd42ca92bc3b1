import { describe, expect, it } from 'vitest';
import { signCommand } from '../../src/uplink/hmac.js';
import { capturingLogger } from '../helpers/log.js';
import { freePort, MOSQUITTO_MISSING, mosquittoAvailable } from '../helpers/mosquitto.js';
import { must } from '../helpers/must.js';
import { type FixtureReading, insertReadings } from '../helpers/outbox-fixtures.js';
import {
  batchesOf,
  cfg,
  PREFIX,
  readingIdsOf,
  statusCommandHandler,
  uplinkHarness,
  waitFor,
} from '../helpers/uplink-centre.js';

const SECRET = 'a-secret-of-at-least-16-chars';

/** Camera readings carrying `bytes` of label text each: a few of them outgrow a small broker limit. */
function bigReadings(n: number, bytes: number, t0 = 1_763_892_000_000): FixtureReading[] {
  return Array.from({ length: n }, (_, i) => ({
    node: 'cam-02',
    seq: i + 1,
    type: 'cam',
    ts: t0 + i * 1000,
    via: 'mqtt',
    v: { label: `gajah-${i}-${'x'.repeat(bytes)}` },
  }));
}

describe.skipIf(!mosquittoAvailable())(
  `uplink hardening against a real Mosquitto${mosquittoAvailable() ? '' : ` — SKIPPED: ${MOSQUITTO_MISSING}`}`,
  () => {
    const h = uplinkHarness();
    const { broker, centre, forwarder } = h;

    it('20 junk messages on cmd/req, then a correctly signed command: it is run and answered', async () => {
      const b = await broker();
      const { handler, raised } = statusCommandHandler(h.db, SECRET);
      h.cleanup(() => handler.close());
      const f = forwarder(cfg(b.url), { onCommand: (p) => handler.handle(p) });
      f.start();
      await waitFor(() => f.state().connected, 5000, 'connected');
      const c = await centre(b.url);
      const junk = (i: number) => {
        const forged = {
          id: `j-${i}`,
          ts: Date.now(),
          nonce: `junk-nonce-${i}`,
          key_id: 'ops-1',
          cmd: 'status',
          args: {},
        };
        return i % 2
          ? 'not json at all'
          : JSON.stringify({ ...forged, sig: signCommand('wrong-secret-0123456789', forged) });
      };
      // The subscription lands shortly after CONNACK: send the first junk until it is refused.
      for (let tries = 0; raised.events.length === 0; tries++) {
        if (tries > 100) throw new Error('cmd/req subscription never took effect');
        await c.client.publishAsync(`${PREFIX}/cmd/req`, junk(0), { qos: 1 });
        await new Promise((r) => setTimeout(r, 100));
      }
      for (let i = 1; i <= 20; i++) await c.client.publishAsync(`${PREFIX}/cmd/req`, junk(i), { qos: 1 });
      const cmd = {
        id: 'c-signed',
        ts: Date.now(),
        nonce: 'n-signed-0001',
        key_id: 'ops-1',
        cmd: 'status',
        args: {},
      };
      await c.client.publishAsync(
        `${PREFIX}/cmd/req`,
        JSON.stringify({ ...cmd, sig: signCommand(SECRET, cmd) }),
        {
          qos: 1,
        },
      );
      const answers = () =>
        c.msgs.filter((m) => m.topic === `${PREFIX}/cmd/res`).map((m) => JSON.parse(m.payload.toString()));
      await waitFor(
        () => answers().some((a) => a.id === 'c-signed'),
        10_000,
        'the answer to the signed command',
      );
      expect(answers().find((a) => a.id === 'c-signed')).toEqual({
        id: 'c-signed',
        ok: true,
        result: { ok: 1 },
      });
      // The junk did not flood the events: a few refusals recorded, the rest summed up once.
      expect(
        raised.events.filter((e) => e.kind === 'cmd' && e.fields.ok === false).length,
      ).toBeLessThanOrEqual(5);
      handler.reportRefusals();
      const summary = raised.events.find((e) => e.kind === 'cmd_rejected');
      expect(summary?.fields.since_last).toBeGreaterThanOrEqual(16);
    });

    it('Mosquitto with a small message_size_limit and big readings: every reading arrives, in batches within max_bytes', async () => {
      // Mosquitto (MQTT 3.1.1) PUBACKs a message over this limit and drops it: a batch too big
      // would be deleted from the outbox as delivered and never reach the centre.
      const b = await broker({ extraConfig: ['message_size_limit 4096'] });
      const c = await centre(b.url);
      const ids = insertReadings(h.db, bigReadings(60, 600));
      const f = forwarder(cfg(b.url, { batch: { max_readings: 200, max_delay_ms: 30, max_bytes: 4000 } }));
      f.start();
      await waitFor(() => h.outbox.backlog().readings === 0, 20_000, 'the outbox drained');
      await waitFor(() => readingIdsOf(c.msgs).length >= ids.length, 10_000, 'every reading at the centre');
      expect(readingIdsOf(c.msgs)).toEqual(ids);
      expect(batchesOf(c.msgs).length).toBeGreaterThan(1);
      for (const m of c.msgs.filter((x) => x.topic === `${PREFIX}/readings`))
        expect(m.payload.length).toBeLessThanOrEqual(4000);
    });

    it('a single reading larger than max_bytes is sent alone with a warning, and the outbox does not get stuck behind it', async () => {
      const b = await broker();
      const c = await centre(b.url);
      const before = insertReadings(h.db, bigReadings(3, 100));
      const [huge] = insertReadings(h.db, bigReadings(1, 3000, 1_763_893_000_000));
      const after = insertReadings(h.db, bigReadings(3, 100, 1_763_894_000_000));
      const { log, lines } = capturingLogger();
      const f = forwarder(cfg(b.url, { batch: { max_readings: 200, max_delay_ms: 30, max_bytes: 1024 } }), {
        log,
      });
      f.start();
      const all = [...before, must(huge, 'the oversized reading id'), ...after];
      await waitFor(() => readingIdsOf(c.msgs).length >= all.length, 15_000, 'every reading at the centre');
      expect(readingIdsOf(c.msgs)).toEqual(all);
      expect(batchesOf(c.msgs)).toContainEqual([huge]);
      await waitFor(() => h.outbox.backlog().readings === 0, 5000, 'the outbox drained');
      expect(
        lines.find((l) => l.msg === 'a reading larger than uplink.batch.max_bytes goes alone'),
      ).toMatchObject({
        level: 40,
        id: huge,
        max_bytes: 1024,
      });
    });

    it('a failed connection names its cause in the warning log line (ECONNREFUSED, auth refused)', async () => {
      const closed = await freePort();
      const refused = capturingLogger();
      forwarder(cfg(`mqtt://127.0.0.1:${closed}`), { log: refused.log }).start();
      const warned = (lines: Record<string, unknown>[]) =>
        lines.find((l) => l.level === 40 && l.msg === 'uplink connection failed');
      await waitFor(() => warned(refused.lines) !== undefined, 10_000, 'the warning');
      expect(warned(refused.lines)).toMatchObject({
        cause: 'ECONNREFUSED',
        err: expect.stringContaining('ECONNREFUSED'),
      });

      const b = await broker({ extraConfig: ['allow_anonymous false'] });
      const denied = capturingLogger();
      forwarder(cfg(b.url, { username: 'gw-x', password: 'pw-never-logged' }), { log: denied.log }).start();
      await waitFor(() => warned(denied.lines) !== undefined, 10_000, 'the warning');
      expect(warned(denied.lines)).toMatchObject({ cause: 'auth_refused' });
      expect(JSON.stringify(denied.lines)).not.toContain('pw-never-logged');
    });
  },
);
