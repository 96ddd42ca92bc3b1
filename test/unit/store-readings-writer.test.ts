import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Reading } from '../../src/domain/index.js';
import { openDb } from '../../src/store/db.js';
import {
  emptyNodeState,
  loadNodeStates,
  type NodeState,
  nodeStatesWriter,
  nodeStateWriter,
} from '../../src/store/node-state.js';
import { type ReadingRow, readingsWriter, rowToReading } from '../../src/store/readings.js';

const readingArb = (seq: number) =>
  fc
    .record({
      radio: fc.option(fc.record({ rssi: fc.integer({ min: -140, max: 0 }), snr: fc.constant(7.5) }), {
        nil: undefined,
      }),
      bat: fc.double({ min: 2, max: 5, noNaN: true }),
      clockOk: fc.boolean(),
    })
    .map(({ radio, bat, clockOk }): Reading => {
      const r: Reading = {
        id: `01J${String(seq).padStart(23, '0')}`,
        node: `n-${seq % 7}`,
        seq,
        type: 'hb',
        ts: 1_763_892_000_000 + seq,
        via: radio ? 'lora' : 'serial',
        v: { bat },
        clockOk,
      };
      if (radio) r.radio = { ...radio, freq: 922.0, sf: 7 };
      return r;
    });

describe('readings writer (multi-row INSERT, one outbox INSERT per commit)', () => {
  it('stores every reading exactly as given and queues exactly the new ones the centre does not have yet, whatever the batch sizes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 150 }), fc.boolean(), fc.integer({ min: 0, max: 3 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (commits, seed) => {
          const db = openDb(':memory:');
          try {
            const write = readingsWriter(db);
            const all: Reading[] = [];
            let seq = 0;
            for (const [n, drained, everyNth] of commits) {
              // The uplink drained what was queued before: only this commit's rows may come back.
              if (drained) db.prepare('DELETE FROM outbox_readings').run();
              const queuedBefore = db.prepare('SELECT rid FROM outbox_readings').pluck().all() as number[];
              const batch = fc.sample(fc.tuple(...Array.from({ length: n }, () => readingArb(++seq))), {
                numRuns: 1,
                seed: seed + seq,
              })[0] as Reading[];
              // Some readings reached the centre live, before their commit: stored, never queued.
              const delivered = new Set(
                batch.filter((_, k) => everyNth > 0 && k % everyNth === 0).map((r) => r.id),
              );
              const firstRid = db.transaction(() => write(batch, delivered))();
              all.push(...batch);
              const rows = db.prepare('SELECT * FROM readings ORDER BY rid').all() as ReadingRow[];
              expect(rows.map(rowToReading)).toEqual(all);
              const queued = db.prepare('SELECT rid FROM outbox_readings ORDER BY rid').pluck().all();
              const newRows = rows.slice(rows.length - batch.length);
              expect(firstRid).toBe(newRows[0]?.rid ?? 0);
              const owed = newRows.filter((r) => !delivered.has(r.id)).map((r) => r.rid);
              expect(queued).toEqual([...queuedBefore, ...owed]);
            }
          } finally {
            db.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('node state writer', () => {
  it('inserts a node heard for the first time and updates it afterwards, every column', () => {
    const db = openDb(':memory:');
    const write = nodeStateWriter(db);
    write({ ...emptyNodeState('pir-07'), seq: 4, frames: 1, last_seen: 10 });
    const later = {
      ...emptyNodeState('pir-07'),
      seq: 9,
      lost: 2,
      resets: 1,
      dups: 3,
      frames: 7,
      last_seen: 20,
      bat: 3.7,
      rssi: -97,
      online: true,
      bat_low: true,
    };
    write(later);
    write({ ...emptyNodeState('hb-01'), online: false });
    expect(loadNodeStates(db).get('pir-07')).toEqual(later);
    expect(loadNodeStates(db).get('hb-01')).toEqual({ ...emptyNodeState('hb-01'), online: false });
    db.close();
  });
});

describe('node state writer, many nodes per commit (multi-row upsert)', () => {
  const stateArb = (node: string): fc.Arbitrary<NodeState> =>
    fc.record({
      node: fc.constant(node),
      seq: fc.option(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { nil: null }),
      lost: fc.nat(),
      resets: fc.nat(),
      dups: fc.nat(),
      frames: fc.nat(),
      last_seen: fc.option(fc.integer({ min: 0, max: 2 ** 45 }), { nil: null }),
      bat: fc.option(fc.double({ min: 0, max: 99, noNaN: true }), { nil: null }),
      rssi: fc.option(fc.integer({ min: -140, max: 0 }), { nil: null }),
      online: fc.option(fc.boolean(), { nil: null }),
      bat_low: fc.boolean(),
    });
  // Up to 150 distinct nodes per commit: every statement size (64 … 1) and new nodes beside known ones.
  const commitArb = fc
    .uniqueArray(fc.integer({ min: 0, max: 199 }), { maxLength: 150 })
    .chain((ids) => fc.tuple(...ids.map((i) => stateArb(`n-${i}`))));

  it("after any sequence of commits, each node's row is the last state written for it, every column", () => {
    fc.assert(
      fc.property(fc.array(commitArb, { minLength: 1, maxLength: 4 }), (commits) => {
        const db = openDb(':memory:');
        try {
          const write = nodeStatesWriter(db);
          const expected = new Map<string, NodeState>();
          for (const states of commits) {
            db.transaction(() => write(states))();
            for (const s of states) expected.set(s.node, s);
            expect(loadNodeStates(db)).toEqual(expected);
          }
        } finally {
          db.close();
        }
      }),
      { numRuns: 30 },
    );
  });
});
