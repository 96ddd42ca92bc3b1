import { existsSync } from 'node:fs';
import { configPath, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { socketPathFor } from '../control/protocol.js';
import { StorageError } from '../domain/index.js';
import { type Db, openDb } from '../store/db.js';

export interface GlobalOpts {
  config?: string;
}

/** The config a command runs with: -c, else $SIAGA_CONFIG, else /etc/siaga/siaga.yaml. */
export function cliConfig(opts: GlobalOpts): { config: Config; file: string } {
  return loadConfig(configPath(opts.config));
}

export function controlSocket(config: Config): string {
  return socketPathFor(config.storage.path, config.control.socket);
}

/** Opens the database read-only; works while the gateway runs (WAL). */
export function readDb(config: Config): Db {
  if (!existsSync(config.storage.path)) {
    throw new StorageError(
      `no database at ${config.storage.path} yet; it is created when the gateway first runs (siaga run)`,
    );
  }
  return openDb(config.storage.path, { readonly: true });
}
