import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Outbox } from '../../src/store/outbox.js';
import { readingJson } from '../../src/uplink/payloads.js';
import { fileDbs } from '../helpers/file-db.js';
import { MOSQUITTO_MISSING, mosquittoAvailable } from '../helpers/mosquitto.js';
import { insertEvents, insertReadings, mixReadings } from '../helpers/outbox-fixtures.js';
import { cfg, eventsOf, PREFIX, readingIdsOf, uplinkHarness, waitFor } from '../helpers/uplink-centre.js';

/** The longest linger the schema allows: a reading that waited for it would miss every waitFor here. */
const LINGER = { max_readings: 200, max_delay_ms: 60_000, max_bytes: 256 * 1024 };

describe.skipIf(!mosquittoAvailable())(
  `uplink adaptive batching against a real Mosquitto${mosquittoAvailable() ? '' : ` — SKIPPED: ${MOSQUITTO_MISSING}`}`,
  () => {
    const h = uplinkHarness();

    it('a single reading on an idle link reaches the centre without waiting for the batch linger', async () => {
      const b = await h.broker();
      const c = await h.centre(b.url);
      const f = h.forwarder(cfg(b.url, { batch: LINGER }));
      f.start();
      await waitFor(() => f.state().connected, 10_000, 'the uplink to connect');
      const [id] = insertReadings(h.db, mixReadings(1, 1_763_892_000_000));
      f.notify();
      await waitFor(() => readingIdsOf(c.msgs).includes(id ?? ''), 15_000, 'the reading at the centre');
      await waitFor(() => h.outbox.backlog().readings === 0, 10_000, 'its outbox row deleted on PUBACK');
      expect(readingIdsOf(c.msgs)).toEqual([id]);
    });

    it('a big drain on a LAN widens the window; an event committed mid-drain goes before every batch not yet in flight, nothing lost or doubled', async () => {
      const b = await h.broker();
      const c = await h.centre(b.url);
      const t0 = 1_763_892_000_000;
      const rIds: string[] = [];
      for (let chunk = 0; chunk < 40; chunk++)
        rIds.push(...insertReadings(h.db, mixReadings(1000, t0 + chunk * 20_000, chunk * 1000)));
      const f = h.forwarder(cfg(b.url, { max_inflight: 64 }));
      let widest = 0;
      let liveId: string | undefined;
      /** Readings not yet published when the event was committed: queued minus those in flight. */
      let unpublished = 0;
      f.start();
      await waitFor(
        () => {
          const s = f.state();
          widest = Math.max(widest, s.window);
          if (liveId === undefined && readingIdsOf(c.msgs).length >= 4000) {
            // Everything still queued and not in a unit in flight has not been published yet
            // (units of 200; a partial unit only makes this bound smaller).
            unpublished = h.outbox.backlog().readings - s.inflight * 200;
            liveId = insertEvents(h.db, [
              { ts: Date.now(), kind: 'level', fields: { zone: 'z-braja', level: 'AWAS' } },
            ])[0];
            f.notify();
          }
          return readingIdsOf(c.msgs).length >= rIds.length && eventsOf(c.msgs).length >= 1;
        },
        60_000,
        'the backlog and the live event at the centre',
      );
      const got = readingIdsOf(c.msgs);
      expect(got).toEqual(rIds); // all, once each, oldest first
      expect(widest).toBeGreaterThan(4); // the window left its start on a LAN
      const at = c.msgs.findIndex(
        (m) => m.topic === `${PREFIX}/events` && JSON.parse(m.payload.toString()).id === liveId,
      );
      expect(at).toBeGreaterThan(0);
      const readingsAfter = readingIdsOf(c.msgs.slice(at)).length;
      expect(unpublished).toBeGreaterThan(0);
      expect(readingsAfter).toBeGreaterThanOrEqual(unpublished);
      await waitFor(() => h.outbox.backlog().readings === 0, 10_000, 'the outbox empty');
    }, 90_000);

    it('readings committed while a batch is in flight follow on its PUBACK, not after the linger', async () => {
      const b = await h.broker();
      const c = await h.centre(b.url);
      const f = h.forwarder(cfg(b.url, { batch: LINGER, max_inflight: 1 }));
      f.start();
      await waitFor(() => f.state().connected, 10_000, 'the uplink to connect');
      const ids: string[] = [];
      // Commits one after another, each announced as the writer does: some go alone, the rest
      // wait behind the one in flight and go together.
      for (let i = 0; i < 20; i++) {
        ids.push(...insertReadings(h.db, mixReadings(3, 1_763_892_000_000 + i * 1000, i * 3)));
        f.notify();
        if (i % 5 === 0) await new Promise((r) => setImmediate(r));
      }
      await waitFor(() => readingIdsOf(c.msgs).length >= ids.length, 15_000, 'all 60 readings at the centre');
      expect(readingIdsOf(c.msgs)).toEqual(ids);
      await waitFor(() => h.outbox.backlog().readings === 0, 10_000, 'the outbox empty');
    });
  },
);

describe('the outbox serializes readings for the drain (a real SQLite file)', () => {
  const fileDb = fileDbs('siaga-outbox-json-');

  it('SQLite builds the same JSON as readingJson, for any stored text', () => {
    const h = { db: fileDb() };
    const outbox = new Outbox(h.db);
    const text = fc.string({ unit: 'grapheme', maxLength: 12 });
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            node: text,
            type: text,
            via: text,
            seq: fc.nat(),
            ts: fc.integer({ min: 0, max: 4_000_000_000_000 }),
            label: text,
            radio: fc.boolean(),
            clockOk: fc.boolean(),
          }),
          { minLength: 1, maxLength: 10 },
        ),
        (rs) => {
          insertReadings(
            h.db,
            rs.map((r) => ({
              node: r.node,
              seq: r.seq,
              type: r.type,
              ts: r.ts,
              via: r.via,
              v: { label: r.label, n: 1.5 },
              ...(r.radio ? { radio: { rssi: -97, snr: 7.5, freq: 922.2, sf: 10 } } : {}),
              clockOk: r.clockOk,
            })),
          );
          const rows = outbox.nextReadings(100);
          const json = outbox.nextReadingsJson(100);
          expect(json.map(([oid]) => oid)).toEqual(rows.map((r) => r.oid));
          expect(json.map(([, j]) => j)).toEqual(rows.map(readingJson));
          for (const [, j] of json) expect(() => JSON.parse(j)).not.toThrow();
          outbox.ack(
            'readings',
            rows.map((r) => r.oid),
          );
        },
      ),
      { numRuns: 200 },
    );
    h.db.close();
  });

  it('property: a page is the queued, stored readings after the cursor, whether the queue is one run of rowids or has gaps; a pruned one is dropped from the queue', () => {
    const db = fileDb();
    const outbox = new Outbox(db);
    const queue = db.prepare('INSERT OR IGNORE INTO outbox_readings (rid) VALUES (?)');
    const prune = db.prepare('DELETE FROM readings WHERE rid = ?');
    const queued = () => db.prepare('SELECT rid FROM outbox_readings ORDER BY rid').pluck().all() as number[];
    let t = 1_763_892_000_000;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
        fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 70 }),
        (n, unqueued, pruned, after, limit) => {
          db.exec('DELETE FROM outbox_readings; DELETE FROM readings');
          t += 100_000;
          insertReadings(db, mixReadings(n, t), false);
          const rids = db.prepare('SELECT rid FROM readings ORDER BY rid').pluck().all() as number[];
          rids.forEach((rid, i) => {
            if (!unqueued[i]) queue.run(rid);
          });
          const cursor = (rids[0] ?? 0) - 1 + after;
          const wantQueued = queued();
          rids.forEach((rid, i) => {
            if (pruned[i]) prune.run(rid);
          });
          const stored = new Set(db.prepare('SELECT rid FROM readings').pluck().all() as number[]);
          const page = wantQueued.filter((rid) => rid > cursor).slice(0, limit);
          const got = outbox.nextReadingsJson(limit, cursor);
          expect(got.map(([rid]) => rid)).toEqual(page.filter((rid) => stored.has(rid)));
          const byRid = new Map(
            (db.prepare('SELECT rid, id FROM readings').all() as { rid: number; id: string }[]).map((r) => [
              r.rid,
              r.id,
            ]),
          );
          for (const [rid, json] of got) expect((JSON.parse(json) as { id: string }).id).toBe(byRid.get(rid));
          // the page's pruned rows left the queue, nothing else did
          expect(queued()).toEqual(wantQueued.filter((rid) => stored.has(rid) || !page.includes(rid)));
        },
      ),
      { numRuns: 150 },
    );
    db.close();
  });

  it('property: ack deletes exactly the rows given, in any order, a run of rowids or not', () => {
    const db = fileDb();
    const outbox = new Outbox(db);
    const queued = () => db.prepare('SELECT rid FROM outbox_readings ORDER BY rid').pluck().all() as number[];
    let t = 1_763_892_000_000;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 39 }),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.integer({ min: 0, max: 39 }), { maxLength: 40 }),
        fc.boolean(),
        (n, from, len, extra, shuffle) => {
          db.exec('DELETE FROM outbox_readings; DELETE FROM readings');
          t += 100_000;
          insertReadings(db, mixReadings(n, t));
          const all = queued();
          // a run (what PUBACKs in publish order give), sometimes with strays, sometimes shuffled
          const pick = [
            ...all.slice(from, from + len),
            ...extra.map((i) => all[i]).filter((r) => r !== undefined),
          ];
          if (shuffle) pick.reverse();
          outbox.ack('readings', pick);
          expect(queued()).toEqual(all.filter((rid) => !pick.includes(rid)));
        },
      ),
      { numRuns: 200 },
    );
    db.close();
  });

  it('a queued reading that was pruned is deleted when met and never sent', () => {
    const db = fileDb();
    const outbox = new Outbox(db);
    insertReadings(db, mixReadings(3, 1_763_892_000_000));
    db.prepare('DELETE FROM readings WHERE seq = 1').run();
    expect(outbox.nextReadingsJson(10)).toHaveLength(2);
    expect(outbox.backlog().readings).toBe(2);
    db.close();
  });
});
