import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../src/store/db.js';
import {
  MAX_ROWS_PER_STATEMENT,
  multiRowRunner,
  statementSizes,
  valueRows,
} from '../../src/store/multi-row.js';

describe('multi-row statements (one JS → SQLite crossing per statement, P1)', () => {
  it('splits any row count into powers of two of at most 64, largest first, as few as the binary digits allow', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), (n) => {
        const sizes = statementSizes(n);
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
        for (const [i, k] of sizes.entries()) {
          expect(k & (k - 1)).toBe(0); // a power of two: at most 7 statements per table are prepared
          expect(k).toBeLessThanOrEqual(MAX_ROWS_PER_STATEMENT);
          if (i > 0) expect(k).toBeLessThanOrEqual(sizes[i - 1] as number);
        }
        const full = Math.floor(n / MAX_ROWS_PER_STATEMENT);
        const rest = (n % MAX_ROWS_PER_STATEMENT).toString(2).replace(/0/g, '').length;
        expect(sizes).toHaveLength(full + rest);
      }),
    );
    expect(statementSizes(100)).toEqual([64, 32, 4]);
  });

  it('writes every item in order, whatever the count, and returns the rowid of the last one', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 6 }), (batches) => {
        const db = openDb(':memory:');
        try {
          db.exec('CREATE TABLE t (rid INTEGER PRIMARY KEY, a TEXT NOT NULL, b INTEGER NOT NULL) STRICT');
          const run = multiRowRunner<[string, number]>(
            db,
            (k) => `INSERT INTO t (a, b) VALUES ${valueRows(k, 2)}`,
            2,
            (to, at, [a, b]) => {
              to[at] = a;
              to[at + 1] = b;
            },
          );
          const all: [string, number][] = [];
          for (const n of batches) {
            const items = Array.from({ length: n }, (_, i): [string, number] => [`x${all.length + i}`, i]);
            const last = run(items);
            all.push(...items);
            expect(last).toBe(n === 0 ? 0 : all.length);
          }
          const rows = db.prepare('SELECT a, b FROM t ORDER BY rid').raw().all();
          expect(rows).toEqual(all);
        } finally {
          db.close();
        }
      }),
      { numRuns: 40 },
    );
  });
});
