import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StorageError } from '../domain/index.js';
import { errorMessage } from '../util/errors.js';
import { MIGRATIONS } from './schema.js';

export type Db = Database.Database;

/** The page size of a database siaga creates (one created before keeps its own). */
export const PAGE_SIZE = 512;

/** WAL bytes after which a commit checkpoints, as pages of the file's own size. */
const WAL_CHECKPOINT_BYTES = 4_000 * 1024;

export function walCheckpointPages(pageSize: number): number {
  return Math.round(WAL_CHECKPOINT_BYTES / pageSize);
}

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
      // WAL (the tail leaf and the interior page of each table it appends to, the header page),
      // so 1 KiB pages wrote a quarter of what 4 KiB pages do, and 512 B pages (SQLite's
      // smallest) 0.92 × what 1 KiB pages do, checkpoint included (SD-card wear, P9). Only
      // possible before the first table exists and before WAL mode.
      if (schemaVersion(db) === 0) db.pragma(`page_size = ${PAGE_SIZE}`);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      // Bound the WAL so a long outage does not grow it without end on an SD card.
      db.pragma('journal_size_limit = 16777216');
      // Checkpoint every ~4 MiB of WAL instead of SQLite's ~1,000 pages: a checkpoint fsyncs twice
      // and copies each page once however often the WAL rewrote it (the right edge of every
      // b-tree, once per commit): at 100 readings per commit, 4 × fewer checkpoints made the store
      // 1.26 × faster by the wall clock (P1). What a power cut can lose stays within the kernel's
      // 30 s write-back (README, Reliability): at 1,000 readings/s, 4 MiB of WAL are ~18 s.
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      db.pragma(`wal_autocheckpoint = ${walCheckpointPages(pageSize)}`);
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
