import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Reading } from '../../src/domain/index.js';
import { type Db, openDb, schemaVersion } from '../../src/store/db.js';
import { prune } from '../../src/store/prune.js';
import { readingsBetween, SpanWriter, spanPruner, UNBOUNDED } from '../../src/store/reading-spans.js';
import { queryReadings, readingsWriter } from '../../src/store/readings.js';
import { MIGRATIONS } from '../../src/store/schema.js';
import { tmpDir } from '../helpers/gateway.js';

/**
 * Readings found by time through reading_spans instead of an index on readings(ts) (P9): every
 * query must give exactly what a full scan gives, whatever the order the times came in, late
 * readings, deletions from either end and rowids SQLite hands out again. Real SQLite files.
 */

const T0 = 1_763_892_000_000;
const NODES = ['pir-01', 'seis-02', 'fence-03'];

let seq = 0;
function reading(ts: number, node = NODES[seq % 3] as string): Reading {
  seq++;
  return {
    id: `01J${String(seq).padStart(23, '0')}`,
    node,
    seq,
    type: seq % 2 === 0 ? 'hb' : 'pir',
    ts,
    via: 'serial',
    v: { n: 0, bat: 3.7 },
    clockOk: true,
  };
}

/** What the store answers for [from, to), by rowid. */
const between = (db: Db, from: number, to: number) =>
  db.prepare(readingsBetween('rid', 'ORDER BY rid')).pluck().all({ from, to }) as number[];
/** What a full scan answers. */
const scanned = (db: Db, from: number, to: number) =>
  db
    .prepare('SELECT rid FROM readings WHERE ts >= ? AND ts < ? ORDER BY rid')
    .pluck()
    .all(from, to) as number[];

describe('readings by time through reading_spans', () => {
  let dir: string;
  beforeEach(() => {
    dir = tmpDir('spans');
    seq = 0;
  });
  afterEach(() => {
    seq = 0;
  });

  it('whatever the times, late readings and deletions, a time range and the newest readings are what a full scan finds', () => {
    const op = fc.oneof(
      // A commit: times mostly ahead, some late (a node that buffered), some far off (a clock put right).
      {
        weight: 6,
        arbitrary: fc.record({
          kind: fc.constant('commit' as const),
          steps: fc.array(
            fc.oneof(
              { weight: 10, arbitrary: fc.integer({ min: 0, max: 2_000 }) },
              { weight: 2, arbitrary: fc.integer({ min: -60_000, max: 0 }) },
              { weight: 1, arbitrary: fc.integer({ min: -86_400_000, max: 86_400_000 }) },
            ),
            { minLength: 1, maxLength: 40 },
          ),
          fails: fc.boolean(),
        }),
      },
      // The gateway restarts: the span writer learns the readings after the last span from the table.
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const) }) },
      // Retention: everything before a cutoff goes (the prune's own statements).
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const), back: fc.nat(200_000) }) },
      // The newest or the oldest readings go: SQLite then hands the newest rowids out again.
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constantFrom('dropNewest' as const, 'dropOldest' as const),
          n: fc.integer({ min: 1, max: 60 }),
        }),
      },
    );
    const query = fc.record({
      from: fc.integer({ min: -100_000, max: 300_000 }),
      len: fc.integer({ min: 0, max: 200_000 }),
      limit: fc.integer({ min: 1, max: 30 }),
      node: fc.option(fc.constantFrom(...NODES), { nil: undefined }),
    });
    let run = 0;
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 25 }),
        fc.integer({ min: 1, max: 50 }),
        query,
        (ops, every, q) => {
          const db = openDb(join(dir, `p-${run++}.db`));
          try {
            const write = readingsWriter(db);
            let span = new SpanWriter(db, every);
            const fix = spanPruner(db);
            let clock = T0;
            for (const o of ops) {
              if (o.kind === 'commit') {
                const batch = o.steps.map((d) => {
                  if (d < 0 || d > 2_000) return reading(clock + d);
                  clock += d;
                  return reading(clock);
                });
                if (o.fails) {
                  // A commit the disk refuses after every row was written: nothing of it stays.
                  expect(() =>
                    db.transaction(() => {
                      span.write(batch, write(batch));
                      throw new Error('disk I/O error');
                    })(),
                  ).toThrow('disk I/O error');
                  span.rolledBack();
                } else {
                  db.transaction(() => span.write(batch, write(batch)))();
                  span.committed();
                }
              } else if (o.kind === 'restart') {
                span = new SpanWriter(db, every);
              } else if (o.kind === 'expire') {
                prune(db, {
                  now: clock - o.back + 86_400_000,
                  retentionDays: 1,
                  eventsRetentionDays: 90,
                  maxDbMb: 1024,
                });
              } else {
                const order = o.kind === 'dropNewest' ? 'DESC' : 'ASC';
                db.transaction(() => {
                  db.prepare(
                    `DELETE FROM readings WHERE rid IN (SELECT rid FROM readings ORDER BY rid ${order} LIMIT ?)`,
                  ).run(o.n);
                  db.prepare('DELETE FROM outbox_readings WHERE rid NOT IN (SELECT rid FROM readings)').run();
                  fix();
                })();
              }
            }
            const from = T0 + q.from;
            const to = from + q.len;
            expect(between(db, from, to)).toEqual(scanned(db, from, to));
            expect(between(db, -UNBOUNDED, UNBOUNDED)).toEqual(scanned(db, -UNBOUNDED, UNBOUNDED));
            const newest = queryReadings(db, {
              since: from,
              limit: q.limit,
              ...(q.node ? { node: q.node } : {}),
            });
            const expected = db
              .prepare(
                `SELECT id FROM (SELECT id, ts, rid FROM readings WHERE ts >= ? ${q.node ? 'AND node = ?' : ''}
               ORDER BY ts DESC, rid DESC LIMIT ?) ORDER BY ts, rid`,
              )
              .pluck()
              .all(...[from, ...(q.node ? [q.node] : []), q.limit]);
            expect(newest.map((r) => r.id)).toEqual(expected);
          } finally {
            db.close();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a query reads only the spans of its hours, through the rowid, not the whole table', () => {
    const db = openDb(join(dir, 'siaga.db'));
    const write = readingsWriter(db);
    const span = new SpanWriter(db);
    // Ten days of a reading every 10 s, committed 50 at a time.
    for (let c = 0; c < 1_728; c++) {
      const batch = Array.from({ length: 50 }, (_, k) => reading(T0 + (c * 50 + k) * 10_000));
      db.transaction(() => span.write(batch, write(batch)))();
      span.committed();
    }
    expect(db.prepare('SELECT count(*) FROM reading_spans').pluck().get()).toBe(43);
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN ${readingsBetween('count(*)')}`)
      .all({ from: T0, to: T0 + 3_600_000 }) as { detail: string }[];
    expect(plan.map((p) => p.detail)).toContain('SEARCH r USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)');
    expect(plan.map((p) => p.detail)).not.toContain('SCAN r');
    // One hour is two spans' worth of rows to read, out of 86,400.
    const hour = db
      .prepare(readingsBetween('count(*)'))
      .pluck()
      .get({ from: T0 + 86_400_000, to: T0 + 90_000_000 });
    expect(hour).toBe(360);
    db.close();
  });

  it('a database from before the spans gets them when the gateway opens it, and the index on ts goes', () => {
    const path = join(dir, 'old.db');
    const old = new Database(path);
    old.pragma('page_size = 1024');
    old.pragma('journal_mode = WAL');
    for (const [v, sql] of MIGRATIONS.slice(0, 6).entries()) {
      old.exec(sql);
      old.pragma(`user_version = ${v + 1}`);
    }
    const ins = old.prepare(
      "INSERT INTO readings (id, node, seq, type, ts, via, v) VALUES (?, 'pir-01', ?, 'pir', ?, 'serial', '{}')",
    );
    // 5,000 readings a minute apart, then one from a node whose clock was a day behind.
    old.transaction(() => {
      for (let i = 0; i < 5_000; i++) ins.run(`id-${i}`, i, T0 + i * 60_000);
      ins.run('late', 5_000, T0 - 86_400_000);
    })();
    const before = (from: number, to: number) => scanned(old, from, to);
    const ranges = [
      [T0, T0 + 3_600_000],
      [T0 - 90_000_000, T0],
      [T0 + 100 * 60_000, T0 + 4_321 * 60_000],
    ] as const;
    const expected = ranges.map(([f, t]) => before(f, t));
    old.close();

    const db = openDb(path);
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'readings_ts'").pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM reading_spans').pluck().get()).toBe(3);
    expect(ranges.map(([f, t]) => between(db, f, t))).toEqual(expected);
    expect(expected[1]).toEqual([5_001]);
    db.close();
  });
});
