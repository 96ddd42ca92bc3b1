import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StorageError } from '../domain/index.js';
import { errorMessage } from '../util/errors.js';
import { MIGRATIONS } from './schema.js';

export type Db = Database.Database;

/** WAL pages (1 KiB for a file siaga created) after which a commit checkpoints. */
export const WAL_CHECKPOINT_PAGES = 4000;

export interface OpenOptions {
  /** Open without creating or migrating (CLI reads while the gateway runs). */
  readonly?: boolean;
}

/**
 * Opens the database with the pragmas the gateway relies on: WAL so readers (the CLI) never
 * block the writer, synchronous=NORMAL so a commit costs no fsync (the WAL is fsynced at each
 * checkpoint: a commit survives a kill -9 at once, a power cut once the kernel wrote it out, see
 * README, Reliability) and a busy timeout so a CLI read during a checkpoint waits instead of failing.
 */
export function openDb(path: string, opts: OpenOptions = {}): Db {
  let db: Db;
  try {
    if (!opts.readonly && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (e) {
    throw toStorageError(e, `cannot open database ${path}`);
  }
  try {
    db.pragma('busy_timeout = 5000');
    // 512 KiB of page cache instead of SQLite's 2 MB: ingest appends to the right edge of each
    // b-tree, so a few hundred pages hold everything hot; the rest was resident memory for life (P6).
    db.pragma('cache_size = -512');
    if (!opts.readonly) {
      // Small pages for a new file: every commit rewrites each b-tree page it touches into the
      // WAL, so 1 KiB pages write a quarter of what 4 KiB pages do (SD-card wear, P9). Only
      // possible before the first table exists and before WAL mode.
      if (schemaVersion(db) === 0) db.pragma('page_size = 1024');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      // Bound the WAL so a long outage does not grow it without end on an SD card.
      db.pragma('journal_size_limit = 16777216');
      // Checkpoint every ~4 MiB of WAL instead of SQLite's ~1 MiB: a checkpoint fsyncs twice and
      // copies each page once however often the WAL rewrote it (the right edge of every b-tree,
      // once per commit): at 100 readings per commit, 4 × fewer checkpoints made the store 1.26 ×
      // faster by the wall clock (P1). What a power cut can lose stays within the kernel's 30 s
      // write-back (README, Reliability): at 1,000 readings/s, 4,000 pages are ~18 s.
      db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
      migrate(db);
    }
  } catch (e) {
    db.close();
    throw toStorageError(e, `cannot prepare database ${path}`);
  }
  return db;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Db): void {
  const current = schemaVersion(db);
  if (current > MIGRATIONS.length) {
    throw new StorageError(
      `database schema ${current} is newer than this siaga (${MIGRATIONS.length}); upgrade siaga or restore a matching database`,
    );
  }
  for (const [v, sql] of MIGRATIONS.entries()) {
    if (v < current) continue;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

/** Wraps a better-sqlite3 error, keeping its SQLITE_* code so callers can spot a full disk. */
export function toStorageError(e: unknown, what: string): StorageError {
  if (e instanceof StorageError) return e;
  const code =
    typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
  const msg = errorMessage(e);
  return new StorageError(`${what}: ${msg}`, code, { cause: e });
}
