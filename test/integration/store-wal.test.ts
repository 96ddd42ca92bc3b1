import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Reading } from '../../src/domain/index.js';
import { openDb, PAGE_SIZE, walCheckpointPages } from '../../src/store/db.js';
import { readingsWriter } from '../../src/store/readings.js';
import { tmpDir } from '../helpers/gateway.js';

/**
 * A checkpoint fsyncs twice and copies every page the WAL holds: at 100 readings per commit,
 * SQLite's default of one per ~1,000 WAL pages cost P1 a large share of its wall time. A real
 * file, the gateway's own writer: the WAL grows to ~4 MiB, then is checkpointed and reused.
 */
describe('the WAL is checkpointed every ~4 MiB, not every 1,000 pages', () => {
  it('grows past 1,000 pages under ingest and stays bounded near 4 MiB', () => {
    const path = join(tmpDir('siaga-wal-'), 'siaga.db');
    const db = openDb(path);
    try {
      expect(db.pragma('page_size', { simple: true })).toBe(PAGE_SIZE);
      const limit = walCheckpointPages(PAGE_SIZE);
      const write = readingsWriter(db);
      const frame = PAGE_SIZE + 24;
      const walPages = () => statSync(`${path}-wal`).size / frame;
      let seq = 0;
      const commit = () => {
        const batch = Array.from(
          { length: 100 },
          (): Reading => ({
            id: `01J${String(++seq).padStart(23, '0')}`,
            node: `pir-${seq % 50}`,
            seq,
            type: 'pir',
            ts: 1_764_600_000_000 + seq,
            via: 'serial',
            v: { n: 0, bat: 3.71 },
            clockOk: true,
          }),
        );
        db.transaction(() => write(batch))();
      };
      // Room for two checkpoints (100 readings are ~22 KiB of WAL).
      let most = 0;
      for (let i = 0; i < 480; i++) {
        commit();
        most = Math.max(most, walPages());
      }
      expect(most).toBeGreaterThan(limit * 0.9);
      // Checkpointed and reused, not grown without end.
      expect(most).toBeLessThan(limit + 400);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  });
});
