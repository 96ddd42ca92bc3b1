import type { z } from 'zod';
import { must } from '../util/must.js';

/**
 * "Did you mean": the nearest key allowed at a place in the schema. Written here rather than
 * taken from a library because it is twenty lines and the config's keys are few and short.
 */

/**
 * Optimal-string-alignment distance (Levenshtein plus swapping two neighbours, the commonest
 * typing slip: `vilalge_code`).
 */
export function editDistance(a: string, b: string): number {
  // Only three rows of the table are ever read: the one being filled, the one above, and the one
  // above that (for a swap).
  let above2: number[] = [];
  let above = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(cell(above, j) + 1, cell(row, j - 1) + 1, cell(above, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, cell(above2, j - 2) + 1);
      row.push(d);
    }
    above2 = above;
    above = row;
  }
  return cell(above, b.length);
}

const cell = (row: readonly number[], j: number): number => must(row[j], 'an edit distance cell');

/** The closest candidate, if it is close enough to be what was meant (a third of the word, at least 2). */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const dist = editDistance(word.toLowerCase(), c.toLowerCase());
    if (dist < bestD) {
      best = c;
      bestD = dist;
    }
  }
  return bestD <= limit ? best : undefined;
}

type AnySchema = z.core.$ZodType;

/** Wrappers that do not change which keys are allowed. */
function unwrap(s: AnySchema): AnySchema {
  let cur = s;
  for (;;) {
    const def = cur._zod.def as { type: string; innerType?: AnySchema; in?: AnySchema };
    if (def.innerType) cur = def.innerType;
    else if (def.type === 'pipe' && def.in) cur = def.in;
    else return cur;
  }
}

/**
 * The keys the schema allows in the mapping at `path`; `raw` picks the right branch of a
 * discriminated union (a siren's `driver`). Empty when the path leads nowhere known.
 */
export function allowedKeys(schema: AnySchema, path: readonly PropertyKey[], raw: unknown): string[] {
  let s = unwrap(schema);
  let value = raw;
  for (let i = 0; ; i++) {
    const union = (s._zod.def as { options?: AnySchema[] }).options;
    if (union) s = unwrap(union.find((o) => optionMatches(unwrap(o), value)) ?? union[0] ?? s);
    const def = s._zod.def as Def;
    if (i === path.length) return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
    const seg = path[i];
    const next =
      typeof seg === 'string'
        ? def.shape?.[seg]
        : typeof seg === 'number'
          ? (def.element ?? def.items?.[seg])
          : undefined;
    if (!next) return [];
    s = unwrap(next);
    value =
      value !== null && typeof value === 'object'
        ? (value as Record<PropertyKey, unknown>)[seg as PropertyKey]
        : undefined;
  }
}

interface Def {
  type: string;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  items?: AnySchema[];
}

/** A branch of a discriminated union whose literal fields match the raw mapping. */
function optionMatches(option: AnySchema, value: unknown): boolean {
  const shape = (option._zod.def as { shape?: Record<string, AnySchema> }).shape;
  if (!shape || value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return Object.entries(shape).some(([k, f]) => {
    const values = (f._zod.def as { type: string; values?: unknown[] }).values;
    return (f._zod.def as { type: string }).type === 'literal' && values?.includes(v[k]);
  });
}
