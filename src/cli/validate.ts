import type { Config } from '../config/schema.js';
import { READING_TYPES, type ReadingType, UsageError } from '../domain/index.js';

/**
 * One place that checks what a person typed (ids, types, numbers) against the config, so every
 * command refuses the same mistake the same way: one sentence naming what exists, exit 64.
 */

function known(kind: string, id: string, ids: string[]): string {
  if (ids.includes(id)) return id;
  const list = ids.length > 0 ? ids.join(', ') : 'none';
  throw new UsageError(`unknown ${kind} "${id}"; this gateway has: ${list}`);
}

export function knownSiren(config: Config | undefined, id: string): string {
  return config
    ? known(
        'siren',
        id,
        config.sirens.map((s) => s.id),
      )
    : id;
}

export function knownZone(config: Config | undefined, id: string): string {
  return config
    ? known(
        'zone',
        id,
        config.zones.map((z) => z.id),
      )
    : id;
}

export function knownNode(config: Config | undefined, id: string): string {
  return config
    ? known(
        'node',
        id,
        config.nodes.map((n) => n.id),
      )
    : id;
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
