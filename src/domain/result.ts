/** Parsers return a result instead of throwing: a rejected input is ordinary, counted traffic. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string; detail?: string };

export function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

export function reject<T = never>(reason: string, detail?: string): Parsed<T> {
  return detail === undefined ? { ok: false, reason } : { ok: false, reason, detail };
}
