import { parseTime } from '../cli/duration.js';
import type { Config } from '../config/schema.js';
import { isSiagaError } from '../domain/index.js';
import { badParam } from './http-errors.js';

/**
 * A time parameter as the CLI takes it (ISO time, a date in the site's zone, `today`, `now`, or a
 * duration back from now such as `24h`): the same parser, so `?since=24h` means what
 * `--since 24h` means.
 */
export function timeParam(field: string, text: string, now: number, config: Config): number {
  try {
    return parseTime(text, now, config.gateway.site.tz);
  } catch (e) {
    if (isSiagaError(e)) throw badParam(field, e.message);
    throw e;
  }
}
