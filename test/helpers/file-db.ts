import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { type Db, openDb } from '../../src/store/db.js';

/**
 * Opens databases on real files, each in a fresh temp folder named from `prefix`; the folders
 * go after each test of the calling describe block (which registers the afterEach).
 */
export function fileDbs(prefix: string): () => Db {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return openDb(join(dir, 'siaga.db'));
  };
}
