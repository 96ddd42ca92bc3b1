import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.js';
import { ACK_LATER_ROWS, Outbox } from '../../src/store/outbox.js';
import { readingJson } from '../../src/uplink/payloads.js';
import { fileDbs } from '../helpers/file-db.js';
import { MOSQUITTO_MISSING, mosquittoAvailable } from '../helpers/mosquitto.js';
import { insertReadings, mixReadings } from '../helpers/outbox-fixtures.js';
import { cfg, readingIdsOf, uplinkHarness, waitFor } from '../helpers/uplink-centre.js';

/**
 * The outbox as the drain uses it, on a real SQLite file: pages read as one string per page, and
 * PUBACKed rows whose deletion waits to go with later ones while batches are in flight.
 */
describe('outbox pages and deferred acks (a real SQLite file)', () => {
  const fileDb = fileDbs('siaga-outbox-pages-');
  const queuedOf = (db: Db) =>
    db.prepare('SELECT rid FROM outbox_readings ORDER BY rid').pluck().all() as number[];

  it('stored text holding the page separator (a raw control character) still comes out reading by reading, exactly', () => {
    const db = fileDb();
    const outbox = new Outbox(db);
    insertReadings(db, mixReadings(5, 1_763_892_000_000));
    // Not what the gateway writes (JSON.stringify escapes it), but the page must not be cut there.
    db.prepare(`UPDATE readings SET v = '{"label":"a' || char(30) || 'b"}' WHERE rid = ?`).run(
      queuedOf(db)[2],
    );
    const page = outbox.nextReadingsJson(10);
    expect(page.map(([, j]) => j)).toEqual(outbox.nextReadings(10).map(readingJson));
    expect(page).toHaveLength(5);
    expect(page[2]?.[1]).toContain('a\x1eb');
    db.close();
  });

  it('while batches are in flight, PUBACKed rows are deleted together once enough gather; nothing in flight: at once', () => {
    const db = fileDb();
    const outbox = new Outbox(db);
    insertReadings(db, mixReadings(ACK_LATER_ROWS + 400, 1_763_892_000_000));
    const all = queuedOf(db);
    const firstBatch = all.slice(0, 200);
    outbox.ack('readings', firstBatch, { later: true });
    // Still in the table (one statement later for many), but never read again from the cursor on.
    expect(queuedOf(db)).toHaveLength(all.length);
    expect(outbox.nextReadingsJson(200, all[399])[0]?.[0]).toBe(all[400]);
    for (let i = 200; i < ACK_LATER_ROWS; i += 200)
      outbox.ack('readings', all.slice(i, i + 200), { later: true });
    expect(queuedOf(db)).toEqual(all.slice(ACK_LATER_ROWS));
    outbox.ack('readings', all.slice(ACK_LATER_ROWS, ACK_LATER_ROWS + 200), { later: true });
    expect(queuedOf(db)).toHaveLength(200 + 200);
    // Nothing in flight any more: the drain acks without `later`, and what waited goes too.
    outbox.ack('readings', []);
    expect(queuedOf(db)).toEqual(all.slice(ACK_LATER_ROWS + 200));
    db.close();
  });

  it('property: a PUBACKed row is never read again nor counted in the backlog, waiting rows stay bounded, and a requeue after acks queues them again', () => {
    const db = fileDb();
    const outbox = new Outbox(db);
    let t = 1_763_892_000_000;
    const op = fc.oneof(
      fc.record({ op: fc.constant('insert' as const), n: fc.integer({ min: 1, max: 300 }) }),
      fc.record({
        op: fc.constant('read' as const),
        from: fc.nat(),
        limit: fc.integer({ min: 1, max: 250 }),
      }),
      fc.record({
        op: fc.constant('ack' as const),
        n: fc.integer({ min: 1, max: 300 }),
        later: fc.boolean(),
      }),
      fc.record({ op: fc.constant('backlog' as const) }),
      fc.record({ op: fc.constant('requeue' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (script) => {
        db.exec('DELETE FROM outbox_readings; DELETE FROM readings');
        outbox.ack('readings', []);
        /** The model: queued and not PUBACKed, in rowid order. */
        let owed: number[] = [];
        const stored = new Set<number>();
        for (const s of script) {
          if (s.op === 'insert') {
            t += 1_000_000;
            const top = Math.max(0, ...stored);
            insertReadings(db, mixReadings(s.n, t));
            const fresh = db
              .prepare('SELECT rid FROM readings WHERE rid > ? ORDER BY rid')
              .pluck()
              .all(top) as number[];
            owed = owed.concat(fresh);
            for (const rid of fresh) stored.add(rid);
          } else if (s.op === 'read') {
            // The drain reads after its cursor, past every row PUBACKed while others are in
            // flight, or from 0; any cursor at all must not find a PUBACKed row.
            const after = s.from % (Math.max(0, ...stored) + 2);
            const want = owed.filter((rid) => rid > after).slice(0, s.limit);
            expect(outbox.nextReadingsJson(s.limit, after).map(([rid]) => rid)).toEqual(want);
          } else if (s.op === 'ack') {
            // PUBACKs come for the oldest rows in flight first.
            const acked = owed.slice(0, s.n);
            owed = owed.slice(s.n);
            outbox.ack('readings', acked, { later: s.later });
            if (!s.later) expect(queuedOf(db)).toEqual(owed);
          } else if (s.op === 'backlog') {
            expect(outbox.backlog().readings).toBe(owed.length);
            expect(queuedOf(db)).toEqual(owed);
          } else {
            outbox.requeue(0, Number.MAX_SAFE_INTEGER);
            owed = [...stored].sort((a, b) => a - b);
            expect(queuedOf(db)).toEqual(owed);
          }
          // Rows PUBACKed and not yet deleted: never more than the bound.
          expect(queuedOf(db).length - owed.length).toBeLessThan(ACK_LATER_ROWS);
        }
      }),
      { numRuns: 120 },
    );
    db.close();
  });
});

describe.skipIf(!mosquittoAvailable())(
  `PUBACKed rows deleted together during a drain to a real Mosquitto${mosquittoAvailable() ? '' : ` — SKIPPED: ${MOSQUITTO_MISSING}`}`,
  () => {
    const h = uplinkHarness();
    const rawQueued = () => h.db.prepare('SELECT count(*) FROM outbox_readings').pluck().get() as number;

    it('every reading arrives once, in order, and once the last PUBACK is in no queued row is left in the table (not only in the backlog count)', async () => {
      const b = await h.broker();
      const c = await h.centre(b.url);
      const ids = insertReadings(h.db, mixReadings(3 * ACK_LATER_ROWS, 1_763_892_000_000));
      const f = h.forwarder(cfg(b.url));
      f.start();
      await waitFor(() => readingIdsOf(c.msgs).length >= ids.length, 60_000, 'the backlog at the centre');
      expect(readingIdsOf(c.msgs)).toEqual(ids);
      // Nothing in flight any more: what waited was deleted with the last PUBACK, without anyone
      // asking for the backlog (which would delete it too).
      await waitFor(() => rawQueued() === 0, 10_000, 'the outbox table empty');
      await f.stop(1000);
      expect(rawQueued()).toBe(0);
    }, 90_000);
  },
);
