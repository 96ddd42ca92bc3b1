import { describe, expect, it } from 'vitest';
import type { Reading } from '../../src/domain/index.js';
import { openDb } from '../../src/store/db.js';
import { prune, usedBytes } from '../../src/store/prune.js';
import { StoreWriter } from '../../src/store/writer.js';
import { silentLog, testConfig } from '../helpers/gateway.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-25T03:15:00Z');

function fill(path: string, n: number, ts: (i: number) => number) {
  const db = openDb(path);
  const w = new StoreWriter({ db, log: silentLog, options: { maxRows: 100_000, maxDelayMs: 1000 } });
  for (let i = 0; i < n; i++) {
    const r: Reading = {
      id: `R${String(i).padStart(25, '0')}`,
      node: 'pir-07',
      seq: i,
      type: 'pir',
      ts: ts(i),
      via: 'serial',
      v: { n: 1, pad: 'x'.repeat(200) },
      clockOk: true,
    };
    w.addReading(r);
  }
  w.addEvent({ id: 'E1', ts: NOW - 60 * DAY, kind: 'level', fields: { zone: 'z', level: 'AWAS' } });
  w.flush();
  return db;
}

const count = (db: ReturnType<typeof openDb>, sql: string) => (db.prepare(sql).get() as { n: number }).n;

describe('pruning (real SQLite)', () => {
  it('drops readings past retention with their outbox rows, never events', () => {
    const db = fill(testConfig().storage.path, 1000, (i) => (i < 400 ? NOW - 40 * DAY : NOW - DAY));
    const res = prune(db, { now: NOW, retentionDays: 30, maxDbMb: 1024 });
    expect(res.expired).toBe(400);
    expect(count(db, 'SELECT count(*) AS n FROM readings')).toBe(600);
    expect(count(db, 'SELECT count(*) AS n FROM outbox_readings')).toBe(600);
    expect(count(db, 'SELECT count(*) AS n FROM events')).toBe(1);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('over max_db_mb: the oldest already-forwarded readings go first, unforwarded ones stay', () => {
    const db = fill(testConfig().storage.path, 60_000, () => NOW - DAY);
    expect(usedBytes(db)).toBeGreaterThan(16 * 1024 * 1024);
    db.prepare('DELETE FROM outbox_readings WHERE rid <= 30000').run(); // the first half was forwarded
    const res = prune(db, { now: NOW, retentionDays: 30, maxDbMb: 16 });
    expect(res.forwardedForSpace).toBeGreaterThan(0);
    expect(res.forwardedForSpace).toBeLessThanOrEqual(30_000);
    expect(res.unforwardedForSpace).toBe(0);
    expect(usedBytes(db)).toBeLessThanOrEqual(16 * 1024 * 1024);
    expect(count(db, 'SELECT count(*) AS n FROM outbox_readings')).toBe(30_000);
    const lo = (db.prepare('SELECT min(seq) AS lo FROM readings').get() as { lo: number }).lo;
    expect(lo).toBe(res.forwardedForSpace); // oldest first
  });

  it('when nothing was forwarded, the oldest unforwarded readings go, counted; events stay', () => {
    const db = fill(testConfig().storage.path, 60_000, () => NOW - DAY);
    const res = prune(db, { now: NOW, retentionDays: 30, maxDbMb: 16 });
    expect(res.forwardedForSpace).toBe(0);
    expect(res.unforwardedForSpace).toBeGreaterThan(0);
    expect(usedBytes(db)).toBeLessThanOrEqual(16 * 1024 * 1024);
    const lo = (db.prepare('SELECT min(seq) AS lo FROM readings').get() as { lo: number }).lo;
    expect(lo).toBe(res.unforwardedForSpace);
    expect(
      count(
        db,
        'SELECT count(*) AS n FROM outbox_readings o LEFT JOIN readings r ON r.rid = o.rid WHERE r.rid IS NULL',
      ),
    ).toBe(0);
    expect(count(db, 'SELECT count(*) AS n FROM events')).toBe(1);
  });
});
