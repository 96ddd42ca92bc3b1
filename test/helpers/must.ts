/**
 * The value, or a failed test that says what was missing: clearer than a non-null assertion,
 * which would only surface later as "cannot read properties of undefined".
 */
export function must<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`expected ${what}, got ${String(value)}`);
  return value;
}
