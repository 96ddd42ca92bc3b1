import type { Config } from '../config/schema.js';
import { READING_TYPES, type ReadingType, UsageError } from '../domain/index.js';
import { t } from './io.js';

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
    t(`validate.unknown_${kind}`, { id, ids: ids.length > 0 ? ids.join(', ') : t('validate.none') }),
  );
}

export function readingType(type: string): ReadingType {
  if ((READING_TYPES as readonly string[]).includes(type)) return type as ReadingType;
  throw new UsageError(t('validate.unknown_type', { type, types: READING_TYPES.join(' ') }));
}

/** A number typed for `what`, within [min, max]; anything else is a usage error. */
export function numberIn(what: string, text: string, min: number, max: number, whole = false): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max || (whole && !Number.isInteger(n))) {
    throw new UsageError(t(whole ? 'validate.whole_number' : 'validate.number', { what, min, max, text }));
  }
  return n;
}
