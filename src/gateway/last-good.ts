import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { redact } from '../config/secrets.js';

/**
 * The config the running gateway accepted last (secrets redacted), beside its database. The CLI
 * falls back to it when the file on disk has become invalid (a refused SIGHUP), so a technician
 * can still reach the gateway — silence a siren at 2 a.m. — before the YAML is fixed.
 */
export interface LastGood {
  written_at: number;
  socket: string;
  config: Config;
}

export const LAST_GOOD_NAME = 'siaga.last-good.json';

export function lastGoodPath(storagePath: string): string {
  return join(dirname(storagePath), LAST_GOOD_NAME);
}

/** Written atomically (temp file + rename) so a reader never sees half a file. Never throws. */
export function writeLastGood(config: Config, socket: string, now: number, log: Logger): void {
  const path = lastGoodPath(config.storage.path);
  const tmp = `${path}.${process.pid}.tmp`;
  const body: LastGood = { written_at: now, socket, config: redact(config) };
  try {
    writeFileSync(tmp, `${JSON.stringify(body)}\n`, { mode: 0o640 });
    chmodSync(tmp, 0o640);
    renameSync(tmp, path);
  } catch (err) {
    // The gateway runs on without it; only the CLI's fallback for a broken file is lost.
    log.warn({ err: err, path }, 'could not save the last good config for the CLI');
  }
}

/** The saved last good config, or undefined when there is none (or it cannot be read). */
export function readLastGood(path: string): LastGood | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as LastGood;
    return typeof v.socket === 'string' && v.config ? v : undefined;
  } catch {
    return undefined;
  }
}
