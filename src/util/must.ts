import { InvariantError } from '../domain/errors.js';

/**
 * `value`, or an InvariantError naming `what` when it is undefined. For lookups the code has
 * already made safe (a bounded index, a key it put itself), where `!` would hide a broken
 * assumption as a later `undefined` somewhere else.
 */
export function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new InvariantError(`${what} is missing`);
  return value;
}
