import type { Config } from '../config/schema.js';
import { READING_TYPES, type ReadingType, UsageError } from '../domain/index.js';

/**
 * One place that checks what a person typed (ids, types, numbers) against the config, so every
 * command refuses the same mistake the same way: one sentence naming what exists, exit 64.
 */

const LISTS = {
  siren: (c: Config) => c.sirens,
  zone: (c: Config) => c.zones,
  node: (c: Config) => c.nodes,
} satisfies Record<string, (c: Config) => { id: string }[]>;

/**
 * `id` when the config has a `kind` with that id. Without a config (the file is invalid and the
 * gateway saved none) the id passes through and the gateway itself judges it.
 */
export function known(config: Config | undefined, kind: keyof typeof LISTS, id: string): string {
  if (!config) return id;
  const ids = LISTS[kind](config).map((x) => x.id);
  if (ids.includes(id)) return id;
  throw new UsageError(
    `unknown ${kind} "${id}"; this gateway has: ${ids.length > 0 ? ids.join(', ') : 'none'}`,
  );
}

export function readingType(t: string): ReadingType {
  if ((READING_TYPES as readonly string[]).includes(t)) return t as ReadingType;
  throw new UsageError(`unknown type "${t}"; use one of ${READING_TYPES.join(' ')}`);
}

/** A number typed for `what`, within [min, max]; anything else is a usage error. */
export function numberIn(what: string, text: string, min: number, max: number, whole = false): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max || (whole && !Number.isInteger(n))) {
    throw new UsageError(
      `${what} takes ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}, not "${text}"`,
    );
  }
  return n;
}
