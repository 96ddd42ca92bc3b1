import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock, type Via } from '../../src/domain/index.js';
import { testConfig } from '../helpers/gateway.js';
import { ingestRig } from '../helpers/ingest-rig.js';

const NOW = Date.parse('2026-12-01T21:00:00Z');

/**
 * `siaga status` shows readings received per radio: counted once committed, by runs of the same
 * radio (P1 counted each reading), so the totals must still be exact for any interleaving.
 */
describe('ingest counters per radio (real SQLite)', () => {
  it('after each commit, ingest/<via> is the number of committed readings from that radio', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.constantFrom<Via>('serial', 'lora', 'mqtt'), { maxLength: 40 }), {
          minLength: 1,
          maxLength: 5,
        }),
        (commits) => {
          const config = testConfig();
          const node = config.nodes[0]?.id ?? 'pir-07';
          const r = ingestRig({
            config,
            dbPath: ':memory:',
            clock: new ManualClock(NOW),
            writer: { maxRows: 1000, maxDelayMs: 2, routineDelayMs: 60_000 },
          });
          const want: Record<string, number> = { serial: 0, lora: 0, mqtt: 0 };
          let seq = 0;
          for (const vias of commits) {
            for (const via of vias) {
              const res = r.ingest.acceptFrame(
                { node, seq: ++seq, type: 'hb', v: { bat: 3.9 } },
                { via, from: 't' },
              );
              expect(res.ok).toBe(true);
            }
            r.writer.flush();
            for (const via of vias) want[via] = (want[via] ?? 0) + 1;
            for (const via of ['serial', 'lora', 'mqtt'] as const) {
              expect(r.counters.get('ingest', via)).toBe(want[via]);
            }
          }
          r.db.close();
        },
      ),
      { numRuns: 50 },
    );
  });
});
