import { describe, expect, it } from 'vitest';
import { freePort, MOSQUITTO_MISSING, mosquittoAvailable } from '../helpers/mosquitto.js';
import { insertReadings, mixReadings } from '../helpers/outbox-fixtures.js';
import { cfg, readingIdsOf, uplinkHarness, waitFor } from '../helpers/uplink-centre.js';

/**
 * `uplink.url: [first, second]` against two real Mosquittos, as a centre with a standby broker
 * would run it. The centre consumes both with persistent sessions and de-duplicates by id.
 */
describe.skipIf(!mosquittoAvailable())(
  `uplink failover list against two real Mosquittos${mosquittoAvailable() ? '' : ` — SKIPPED: ${MOSQUITTO_MISSING}`}`,
  () => {
    const h = uplinkHarness();

    it('first down: connects to the second; second stopped mid-stream: back to the first; nothing lost, no duplicate after dedup', async () => {
      const firstPort = await freePort();
      const firstUrl = `mqtt://127.0.0.1:${firstPort}`;
      const second = await h.broker({ persistence: true });
      // The centre's side of the standby broker: a persistent session, so what the broker
      // acknowledged before it stopped reaches the centre when it is back.
      const centreB = await h.centre(second.url, { clientId: 'centre-b', clean: false });

      const t0 = 1_763_892_000_000;
      const sent = insertReadings(h.db, mixReadings(300, t0));
      const batch = { max_readings: 20, max_delay_ms: 10, max_bytes: 256 * 1024 };
      const f = h.forwarder({ ...cfg(firstUrl, { batch }), url: [firstUrl, second.url] });
      f.start();
      await waitFor(() => f.state().connected, 15_000, 'connected to the second broker');
      expect(f.state().url).toBe(second.url);

      // A steady stream of new readings while the brokers change under it.
      let seq = 0;
      const stream = setInterval(() => {
        sent.push(...insertReadings(h.db, mixReadings(10, t0 + 1_000_000 + seq++ * 1000)));
        f.notify();
      }, 20);
      h.cleanup(() => clearInterval(stream));

      await waitFor(
        () => new Set(readingIdsOf(centreB.msgs)).size >= 300,
        15_000,
        'the backlog at the second',
      );
      const first = await h.broker({ port: firstPort, persistence: true });
      const centreA = await h.centre(first.url, { clientId: 'centre-a', clean: false });
      await second.stop();
      await waitFor(
        () => f.state().connected && f.state().url === firstUrl,
        30_000,
        'back on the first broker',
      );
      await new Promise((r) => setTimeout(r, 300));
      clearInterval(stream);
      f.notify();
      await waitFor(() => h.outbox.backlog().readings === 0, 30_000, 'an empty outbox');
      // Whatever the second acknowledged but had not yet handed to the centre is in its
      // persistent store: the centre gets it when that broker returns.
      await second.restart();

      const arrived = () => [...readingIdsOf(centreA.msgs), ...readingIdsOf(centreB.msgs)];
      await waitFor(() => new Set(arrived()).size >= sent.length, 30_000, 'every id at the centre');
      const unique = new Set(arrived());
      expect(unique.size).toBe(sent.length);
      expect([...unique].sort()).toEqual([...sent].sort());
      expect(readingIdsOf(centreA.msgs).length).toBeGreaterThan(0);
    }, 120_000);
  },
);
