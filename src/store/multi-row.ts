import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';

/** Largest multi-row statement; 64 × 11 columns stays far below SQLite's 32,766 bound values. */
export const MAX_ROWS_PER_STATEMENT = 64;

/**
 * How `n` rows are split into statements: the largest power of two ≤ 64 that fits, repeatedly
 * (100 → 64 + 32 + 4). Each step crosses from JS into SQLite once, so a 100-row commit costs 3
 * statement runs instead of 100, and at most 7 statements per table are ever prepared.
 */
export function statementSizes(n: number): number[] {
  const sizes: number[] = [];
  let left = n;
  while (left > 0) {
    let size = MAX_ROWS_PER_STATEMENT;
    while (size > left) size >>= 1;
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

/**
 * A multi-row statement over `items` (run inside the caller's transaction). `sql(k)` gives the
 * text for k rows, `put` writes one item's `columns` values at `to[at…]`. Returns the rowid of
 * the last row inserted (0 for no items). Statements and their argument arrays are made on first
 * use per size and kept.
 */
export function multiRowRunner<T>(
  db: Db,
  sql: (rows: number) => string,
  columns: number,
  put: (to: unknown[], at: number, item: T) => void,
): (items: readonly T[]) => number {
  const statements = new Map<number, { stmt: Statement; args: unknown[] }>();
  const forSize = (k: number) => {
    let s = statements.get(k);
    if (s === undefined) {
      s = { stmt: db.prepare(sql(k)), args: new Array(k * columns) };
      statements.set(k, s);
    }
    return s;
  };
  return (items) => {
    let last = 0;
    let i = 0;
    for (const k of statementSizes(items.length)) {
      const { stmt, args } = forSize(k);
      for (let r = 0; r < k; r++) put(args, r * columns, items[i + r] as T);
      // Spread, not the array: better-sqlite3 reads call arguments directly but an array through
      // V8's generic property lookup, element by element, which cost more than SQLite's insert.
      last = Number(stmt.run(...args).lastInsertRowid);
      i += k;
    }
    return last;
  };
}

/** `(?, ?, …)` for one row of `columns` values, repeated `rows` times and joined by commas. */
export function valueRows(rows: number, columns: number): string {
  const row = `(${Array(columns).fill('?').join(', ')})`;
  return Array(rows).fill(row).join(', ');
}
