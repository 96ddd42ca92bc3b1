import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../config/load.js';
import { configPath } from '../config/path.js';
import type { Config } from '../config/schema.js';
import { socketPathFor } from '../control/protocol.js';
import { ConfigError, StorageError } from '../domain/index.js';
import { lastGoodPath, readLastGood } from '../gateway/last-good.js';
import { type Db, openDb } from '../store/db.js';
import { formatLocalTime } from '../util/local-time.js';
import { t } from './io.js';
import { siteTz } from './time.js';

export interface GlobalOpts {
  config?: string;
  socket?: string;
}

const DEFAULT_DB = '/var/lib/siaga/siaga.db';

/** The config a command runs with: -c, else $SIAGA_CONFIG, else /etc/siaga/siaga.yaml. */
export function cliConfig(opts: GlobalOpts): { config: Config; file: string } {
  return loadConfig(configPath(opts.config));
}

export function controlSocket(config: Config): string {
  return socketPathFor(config.storage.path, config.control.socket);
}

/** What a command that needs the gateway (or its database) works with. */
export interface Target {
  /** The valid config: the file's, or the last one the gateway accepted; absent when neither exists. */
  config: Config | undefined;
  socket: string;
}

/**
 * storage.path and control.socket read from a file that failed validation, as far as the YAML
 * parses: enough to find the gateway's socket and its saved last good config.
 */
function rawPaths(file: string): { storage: string; socket?: string } {
  try {
    const raw = parseYaml(readFileSync(file, 'utf8')) as {
      storage?: { path?: unknown };
      control?: { socket?: unknown };
    };
    const base = dirname(file);
    const storage = typeof raw?.storage?.path === 'string' ? resolve(base, raw.storage.path) : DEFAULT_DB;
    const socket = typeof raw?.control?.socket === 'string' ? raw.control.socket : undefined;
    return { storage, ...(socket ? { socket } : {}) };
  } catch {
    return { storage: DEFAULT_DB };
  }
}

/**
 * The config and socket for commands that talk to the running gateway or read its database. A
 * file that has become invalid (a typo refused by SIGHUP) must not lock the technician out of the
 * gateway still running the old config: warn, then use the last good config the gateway saved
 * (or --socket, or the default socket path).
 */
export function cliTarget(opts: GlobalOpts, needConfig: boolean): Target {
  const file = configPath(opts.config);
  try {
    const { config } = loadConfig(file);
    return { config, socket: opts.socket ?? controlSocket(config) };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const paths = rawPaths(file);
    const last = readLastGood(lastGoodPath(paths.storage));
    const socket = opts.socket ?? last?.socket ?? paths.socket ?? socketPathFor(paths.storage);
    // Nothing to fall back on and no gateway there: the broken file is the news (exit 78).
    if (!last && (needConfig || (!opts.socket && !existsSync(socket)))) throw e;
    const first = e.issues[0];
    const problem = first ? (first.path ? `${first.path}: ${first.message}` : first.message) : 'invalid';
    const using = last
      ? t('context.using_last_good', { time: formatLocalTime(last.written_at, siteTz(last.config)) })
      : t('context.no_last_good');
    process.stderr.write(`siaga: ${t('context.invalid_config', { file, problem, using })}\n`);
    return { config: last?.config, socket };
  }
}

/** Like cliTarget, for commands that cannot work without a config (the database's nodes, zones). */
export function cliDbTarget(opts: GlobalOpts): { config: Config; socket: string } {
  const { config, socket } = cliTarget(opts, true);
  if (!config) throw new ConfigError([{ path: '', message: 'no config' }]);
  return { config, socket };
}

/** Opens the database read-only; works while the gateway runs (WAL). */
export function readDb(config: Config): Db {
  if (!existsSync(config.storage.path)) {
    throw new StorageError(t('context.no_database', { path: config.storage.path }));
  }
  return openDb(config.storage.path, { readonly: true });
}
