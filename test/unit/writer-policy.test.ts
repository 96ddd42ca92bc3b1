import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GatewayEvent, Reading } from '../../src/domain/index.js';
import { CommitPolicy, type Urgency } from '../../src/store/commit-policy.js';
import { openDb } from '../../src/store/db.js';
import { StoreWriter } from '../../src/store/writer.js';
import { silentLog } from '../helpers/log.js';
import { testReading } from '../helpers/reading.js';

const timing = { maxRows: 100, maxDelayMs: 5, routineDelayMs: 5000 };

describe('group commit policy (pure, injected clock)', () => {
  it('evidence on an idle writer is due at once, not after max_delay_ms or the routine delay', () => {
    const p = new CommitPolicy(timing);
    expect(p.add('urgent', 1, 1_000)).toEqual({ kind: 'due', at: 1_000 });
  });

  it('a routine reading on an idle writer waits the routine delay; evidence after it pulls the commit forward', () => {
    const p = new CommitPolicy(timing);
    expect(p.add('routine', 1, 1_000)).toEqual({ kind: 'due', at: 6_000 });
    expect(p.add('routine', 2, 2_000)).toEqual({ kind: 'unchanged' }); // joins, not pushed back
    expect(p.add('urgent', 3, 2_500)).toEqual({ kind: 'due', at: 2_500 });
  });

  it('what arrives while a commit is pending joins it; after the commit a new batch starts', () => {
    const p = new CommitPolicy(timing);
    p.add('urgent', 1, 10);
    expect(p.add('urgent', 2, 10)).toEqual({ kind: 'unchanged' });
    expect(p.add('routine', 3, 11)).toEqual({ kind: 'unchanged' });
    p.committed();
    expect(p.add('urgent', 1, 12)).toEqual({ kind: 'due', at: 12 });
  });

  it('a full batch commits before the call returns, whatever its urgency', () => {
    const p = new CommitPolicy(timing);
    expect(p.add('routine', 100, 0)).toEqual({ kind: 'sync' });
  });

  it('for any arrivals, the due time never moves later and is never later than each arrival allows', () => {
    const step = fc.record({
      urgency: fc.constantFrom<Urgency>('urgent', 'soon', 'routine'),
      dt: fc.integer({ min: 0, max: 10_000 }),
      commit: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const p = new CommitPolicy(timing);
        let now = 0;
        let rows = 0;
        for (const s of steps) {
          now += s.dt;
          // A timer that was due has fired by now: that is the commit.
          if (s.commit || p.due <= now) {
            p.committed();
            rows = 0;
          }
          const before = p.due;
          rows++;
          const plan = p.add(s.urgency, rows, now);
          const limit =
            now + { urgent: 0, soon: timing.maxDelayMs, routine: timing.routineDelayMs }[s.urgency];
          if (plan.kind === 'sync') {
            expect(rows).toBeGreaterThanOrEqual(timing.maxRows);
            p.committed();
            rows = 0;
            continue;
          }
          expect(p.due).toBeLessThanOrEqual(before);
          expect(p.due).toBeLessThanOrEqual(limit);
          if (plan.kind === 'due') expect(plan.at).toBe(p.due);
        }
      }),
    );
  });
});

type Op =
  | { op: 'routine' }
  | { op: 'evidence' }
  | { op: 'event' }
  | { op: 'advance'; ms: number }
  | { op: 'turn' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ op: 'routine' } as const) },
  { weight: 2, arbitrary: fc.constant({ op: 'evidence' } as const) },
  { weight: 1, arbitrary: fc.constant({ op: 'event' } as const) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 3000 }).map((ms) => ({ op: 'advance', ms }) as const) },
  { weight: 2, arbitrary: fc.constant({ op: 'turn' } as const) },
);

describe('StoreWriter under the policy (real SQLite in memory, fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('nothing is committed twice, nothing is lost, and evidence or an event never waits for a timer', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 80 }), (ops) => {
        vi.useFakeTimers({
          toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'],
        });
        const db = openDb(':memory:');
        try {
          const writer = new StoreWriter({
            db,
            log: silentLog,
            options: { maxRows: 7, maxDelayMs: 1000, routineDelayMs: 2000 },
          });
          const readingIds: string[] = [];
          const eventIds: string[] = [];
          let seq = 0;
          const add = (type: Reading['type']) => {
            seq++;
            const r = testReading(seq, type);
            readingIds.push(r.id);
            writer.addReading(r);
          };
          const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
          for (const o of ops) {
            if (o.op === 'routine') add('hb');
            else if (o.op === 'evidence') {
              add('pir');
              writer.expedite();
            } else if (o.op === 'event') {
              const e: GatewayEvent = { id: `E${eventIds.length}`, ts: 1, kind: 'level', fields: {} };
              eventIds.push(e.id);
              writer.addEvent(e);
            } else if (o.op === 'advance') vi.advanceTimersByTime(o.ms);
            else vi.advanceTimersByTime(0);
            if (o.op === 'evidence' || o.op === 'event') {
              // The next turn of the loop, no clock time passing: all of it is in SQLite.
              vi.advanceTimersByTime(0);
              expect(writer.pending).toBe(0);
            }
            expect(writer.pending).toBeLessThan(7);
            expect(count('SELECT count(*) - count(DISTINCT id) AS n FROM readings')).toBe(0);
          }
          writer.close();
          const stored = db.prepare('SELECT id FROM readings ORDER BY rid').pluck().all();
          expect(stored).toEqual(readingIds);
          expect(db.prepare('SELECT id FROM events ORDER BY eid').pluck().all()).toEqual(eventIds);
          expect(count('SELECT count(*) AS n FROM outbox_readings')).toBe(readingIds.length);
          expect(count('SELECT count(*) AS n FROM outbox_events')).toBe(eventIds.length);
        } finally {
          db.close();
          vi.useRealTimers();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('routine readings alone are not committed before the routine delay', () => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'],
    });
    const db = openDb(':memory:');
    const writer = new StoreWriter({
      db,
      log: silentLog,
      options: { maxRows: 100, maxDelayMs: 5, routineDelayMs: 5000 },
    });
    writer.addReading(testReading(1));
    vi.advanceTimersByTime(0);
    vi.advanceTimersByTime(4999);
    expect(writer.pending).toBe(1);
    vi.advanceTimersByTime(1);
    expect(writer.pending).toBe(0);
    writer.close();
    db.close();
  });
});
