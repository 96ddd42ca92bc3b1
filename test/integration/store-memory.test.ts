import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../src/store/db.js';
import { tmpDir } from '../helpers/gateway.js';

/**
 * SQLite's page cache is resident memory for as long as the gateway runs (P6). A real database
 * file: the gateway's read-write connection and the read-only ones (village screen, CLI) alike.
 */
describe('the page cache of every connection is bounded to 512 KiB', () => {
  it('read-write and read-only connections both', () => {
    const path = join(tmpDir('siaga-cache-'), 'siaga.db');
    const rw = openDb(path);
    const ro = openDb(path, { readonly: true });
    try {
      // Negative = KiB; SQLite's default would be -2000 (2 MB).
      expect(rw.pragma('cache_size', { simple: true })).toBe(-512);
      expect(ro.pragma('cache_size', { simple: true })).toBe(-512);
    } finally {
      ro.close();
      rw.close();
    }
  });
});
