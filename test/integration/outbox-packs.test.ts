import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.js';
import { Outbox } from '../../src/store/outbox.js';
import { prune } from '../../src/store/prune.js';
import { readingJson } from '../../src/uplink/payloads.js';
import { fileDbs } from '../helpers/file-db.js';
import { MOSQUITTO_MISSING, mosquittoAvailable } from '../helpers/mosquitto.js';
import { insertReadings, mixReadings } from '../helpers/outbox-fixtures.js';
import { batchesOf, cfg, readingIdsOf, uplinkHarness, waitFor } from '../helpers/uplink-centre.js';

/**
 * The readings backlog packed while the centre is unreachable (src/store/outbox-packs.ts), on a
 * real SQLite file: whatever is packed, acked, re-queued or pruned, what the drain reads (packs
 * whole, readings one by one) is the readings' own JSON, exactly, in order.
 */
describe('packed backlog (a real SQLite file)', () => {
  const fileDb = fileDbs('siaga-outbox-packs-');
  /** A database with `n` readings queued, and its outbox. */
  const queued = (n: number, t0 = 1_763_892_000_000) => {
    const db = fileDb();
    const outbox = new Outbox(db);
    insertReadings(db, mixReadings(n, t0));
    return { db, outbox };
  };
  const packCount = (db: Db) => db.prepare('SELECT count(*) FROM outbox_packs').pluck().get() as number;
  /** What the drain must be given after `after`: the rows' JSON built in JS from the rows. */
  const expected = (outbox: Outbox, limit: number, after: number): [number, string][] =>
    outbox.nextReadings(limit, after).map((r) => [r.oid, readingJson(r)]);

  /**
   * One read as the drain makes it: a pack taken whole where one starts after `after`, else
   * readings one by one. A pack's body must be exactly the readings' JSON joined as a batch's array
   * body; returns what goes, as `[rid, json]`.
   */
  const drainRead = (outbox: Outbox, limit: number, after: number, maxBytes = 1 << 20) => {
    const pack = outbox.nextReadingsPack(limit, after, maxBytes);
    if (pack === undefined) return { packed: false, rows: outbox.nextReadingsJson(limit, after) };
    const want = expected(outbox, pack.hi - pack.lo + 1, after);
    expect(want.map(([rid]) => rid)).toEqual(
      Array.from({ length: pack.hi - pack.lo + 1 }, (_, i) => pack.lo + i),
    );
    expect(pack.body.toString('utf8')).toBe(want.map(([, json]) => json).join(','));
    return { packed: true, rows: want };
  };
  /** Reads as the drain does from `after` to the end: every read must be what is queued next. */
  const drainAll = (outbox: Outbox, limit: number, after = 0, maxBytes = 1 << 20) => {
    const all = expected(outbox, 1_000_000, after);
    const reads: { packed: boolean; n: number }[] = [];
    let at = 0;
    for (let cursor = after; at < all.length; ) {
      const { packed, rows } = drainRead(outbox, limit, cursor, maxBytes);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.length).toBeLessThanOrEqual(limit);
      expect(rows).toEqual(all.slice(at, at + rows.length));
      reads.push({ packed, n: rows.length });
      at += rows.length;
      cursor = rows.at(-1)?.[0] ?? cursor;
    }
    return reads;
  };

  it('a packed backlog goes as whole packs, each exactly its readings JSON joined as a batch body, and the rest one by one', async () => {
    const { db, outbox } = queued(1050);
    // Five full pages; the last 50 readings wait for more.
    expect(await outbox.packs.pack(200, 100)).toBe(5);
    expect(packCount(db)).toBe(5);
    // ~24 B a reading on disk, not the ~135 B of JSON.
    const bytes = db.prepare('SELECT sum(length(body)) FROM outbox_packs').pluck().get() as number;
    expect(bytes / 1000).toBeLessThan(60);
    // What `siaga status` shows: how much of the backlog waits packed.
    expect(outbox.backlog()).toEqual({ events: 0, readings: 1050, packed: 1000 });
    expect(drainAll(outbox, 200)).toEqual([
      ...Array(5).fill({ packed: true, n: 200 }),
      { packed: false, n: 50 },
    ]);
    // From inside a pack: one by one up to the next pack, which then goes whole.
    const rids = expected(outbox, 2000, 0).map(([rid]) => rid as number);
    expect(drainAll(outbox, 200, rids[149])).toEqual([
      { packed: false, n: 50 },
      ...Array(4).fill({ packed: true, n: 200 }),
      { packed: false, n: 50 },
    ]);
    db.close();
  });

  it('a pack larger than the drain asks for (max_readings lowered since), or larger than max_bytes, is read one by one', async () => {
    const { db, outbox } = queued(2000);
    expect(await outbox.packs.pack(1000, 10)).toBe(2);
    expect(drainAll(outbox, 200).every((r) => !r.packed)).toBe(true);
    const small = queued(400);
    expect(await small.outbox.packs.pack(200, 10)).toBe(2);
    expect(drainAll(small.outbox, 200, 0, 1000).every((r) => !r.packed)).toBe(true);
    small.db.close();
    db.close();
  });

  it('a page the live path sent in part is not packed, and a pack whose rows were PUBACKed is deleted with them', async () => {
    const { db, outbox } = queued(600);
    const rids = outbox.nextReadingsJson(600).map(([rid]) => rid);
    // A reading in the middle page left the queue (sent live): that page is left as it is.
    outbox.ack('readings', [rids[300] as number]);
    expect(await outbox.packs.pack(200, 100)).toBe(2);
    const packed = () => db.prepare('SELECT lo FROM outbox_packs ORDER BY lo').pluck().all();
    expect(packed()).toEqual([rids[0], rids[400]]);
    expect(drainAll(outbox, 200).map((r) => r.packed)).toEqual([true, false, true]);
    outbox.ack('readings', rids.slice(0, 200));
    expect(packed()).toEqual([rids[400]]);
    drainAll(outbox, 200);
    db.close();
  });

  it('a pack is never used for other readings: after every reading was pruned, new readings with the same rowids go out as themselves', async () => {
    const { db, outbox } = queued(400);
    expect(await outbox.packs.pack(200, 10)).toBe(2);
    // Gone behind the packs' back (not as retention does it, which drops the packs too).
    db.exec('DELETE FROM outbox_readings; DELETE FROM readings');
    insertReadings(db, mixReadings(400, 1_800_000_000_000, 7000));
    expect(outbox.nextReadingsPack(200, 0, 1 << 20)).toBeUndefined();
    expect(drainAll(outbox, 200).every((r) => !r.packed)).toBe(true);
    expect(outbox.nextReadingsJson(400)[0]?.[1]).toContain('"ts":1800000000000');
    db.close();
    // Only the newest readings gone and their rowids taken again: the second pack's first reading
    // is still its own, its last is not.
    const again = queued(400);
    expect(await again.outbox.packs.pack(200, 10)).toBe(2);
    again.db.exec('DELETE FROM outbox_readings WHERE rid > 350; DELETE FROM readings WHERE rid > 350');
    insertReadings(again.db, mixReadings(50, 1_900_000_000_000, 9000));
    expect(drainAll(again.outbox, 200).map((r) => r.packed)).toEqual([true, false]);
    again.db.close();
  });

  it('retention drops the packs of readings it pruned', async () => {
    const db = fileDb();
    const outbox = new Outbox(db);
    const now = 1_763_892_000_000 + 40 * 86_400_000;
    insertReadings(db, mixReadings(400, 1_763_892_000_000));
    insertReadings(db, mixReadings(400, now - 1000));
    expect(await outbox.packs.pack(200, 10)).toBe(4);
    prune(db, { now, retentionDays: 30, eventsRetentionDays: 90, maxDbMb: 1024 });
    expect(packCount(db)).toBe(2);
    drainAll(outbox, 200);
    db.close();
  });

  it('property: whatever is inserted, packed, read, acked and re-queued, every read the drain makes is the queued readings JSON after its cursor, oldest first, packed or not', async () => {
    const db = fileDb();
    const outbox = new Outbox(db);
    let t = 1_763_892_000_000;
    const op = fc.oneof(
      fc.record({ op: fc.constant('insert' as const), n: fc.integer({ min: 1, max: 450 }) }),
      fc.record({
        op: fc.constant('pack' as const),
        size: fc.constantFrom(100, 200, 1000),
        packs: fc.integer({ min: 1, max: 4 }),
      }),
      fc.record({
        op: fc.constant('read' as const),
        from: fc.nat(),
        limit: fc.constantFrom(1, 50, 100, 199, 200, 201, 450, 1000),
      }),
      fc.record({
        op: fc.constant('ack' as const),
        skip: fc.nat({ max: 300 }),
        n: fc.integer({ min: 1, max: 300 }),
        later: fc.boolean(),
      }),
      fc.record({ op: fc.constant('requeue' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (script) => {
        db.exec('DELETE FROM outbox_readings; DELETE FROM readings');
        outbox.ack('readings', []);
        outbox.packs.dropStale();
        for (const s of script) {
          if (s.op === 'insert') {
            t += 1_000_000;
            insertReadings(db, mixReadings(s.n, t));
          } else if (s.op === 'pack') {
            await outbox.packs.pack(s.size, s.packs);
          } else if (s.op === 'read') {
            const top = (db.prepare('SELECT max(rid) FROM readings').pluck().get() as number | null) ?? 0;
            const after = s.from % (top + 2);
            const { rows } = drainRead(outbox, s.limit, after);
            expect(rows).toEqual(expected(outbox, rows.length, after));
            // Fewer than asked only where a pack starts before the next queued reading.
            const next = expected(outbox, 1, rows.at(-1)?.[0] ?? after)[0]?.[0];
            if (rows.length < s.limit && next !== undefined) {
              const last = rows.at(-1)?.[0] ?? after;
              const packsBetween = db.prepare('SELECT count(*) FROM outbox_packs WHERE lo > ? AND lo <= ?');
              expect(packsBetween.pluck().get(last, next)).toBeGreaterThanOrEqual(1);
            }
          } else if (s.op === 'ack') {
            // Rows leave the queue in any order (live path, PUBACKs), not only the oldest.
            const queued = db
              .prepare('SELECT rid FROM outbox_readings ORDER BY rid')
              .pluck()
              .all() as number[];
            outbox.ack('readings', queued.slice(s.skip, s.skip + s.n), { later: s.later });
          } else {
            outbox.requeue(0, Number.MAX_SAFE_INTEGER);
          }
        }
        drainAll(outbox, 200);
      }),
      { numRuns: 60 },
    );
    db.close();
  });
});

describe.skipIf(!mosquittoAvailable())(
  `a backlog packed during an outage, drained to a real Mosquitto${mosquittoAvailable() ? '' : ` — SKIPPED: ${MOSQUITTO_MISSING}`}`,
  () => {
    const h = uplinkHarness();
    const packCount = () => h.db.prepare('SELECT count(*) FROM outbox_packs').pluck().get() as number;

    it.each(['none', 'deflate'] as const)(
      'while the broker is down the forwarder packs the backlog; once it is back every reading arrives once, in order, in whole-pack batches, and no pack is left (compress: %s)',
      async (compress) => {
        const b = await h.broker({ persistence: true });
        // The centre's session outlives the outage: Mosquitto queues for it meanwhile.
        const c = await h.centre(b.url, { clean: false, clientId: `centre-packs-${compress}` });
        await b.stop();
        const ids = insertReadings(h.db, mixReadings(2150, 1_763_892_000_000));
        const f = h.forwarder(cfg(b.url, { compress }), { packEveryMs: 50 });
        f.start();
        // 2,150 readings in packs of whole batches of 200, the rest left to the drain's own reads.
        const packs = Math.floor(ids.length / 200);
        await waitFor(() => packCount() === packs, 15_000, 'the backlog packed');
        await b.restart();
        await waitFor(() => readingIdsOf(c.msgs).length >= ids.length, 30_000, 'the backlog at the centre');
        expect(readingIdsOf(c.msgs)).toEqual(ids);
        // Each pack went as one batch of its 200 readings.
        expect(batchesOf(c.msgs).map((batch) => batch.length)).toEqual([
          ...Array(packs).fill(200),
          ids.length - packs * 200,
        ]);
        await waitFor(() => packCount() === 0, 10_000, 'no pack left');
        await f.stop(1000);
      },
      60_000,
    );
  },
);
