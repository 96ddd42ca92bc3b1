import { describe, expect, it } from 'vitest';
import { openDb } from '../../src/store/db.js';
import { type CommitInfo, StoreWriter } from '../../src/store/writer.js';
import { silentLog, testConfig } from '../helpers/gateway.js';
import { testReading } from '../helpers/reading.js';

/** The store's side of readings published before their commit (uplink.live_readings), on a real SQLite file. */
describe('writer and readings the centre acknowledged before their commit', () => {
  function rig(maxRows: number) {
    const db = openDb(testConfig().storage.path);
    const commits: CommitInfo[] = [];
    const writer = new StoreWriter({
      db,
      log: silentLog,
      options: { maxRows, maxDelayMs: 5, routineDelayMs: 60_000 },
      onCommit: (info) => commits.push(info),
    });
    const queued = () =>
      db.prepare('SELECT r.id FROM outbox_readings o JOIN readings r USING (rid) ORDER BY rid').pluck().all();
    const rid = (id: string) => db.prepare('SELECT rid FROM readings WHERE id = ?').pluck().get(id);
    return { db, writer, commits, queued, rid };
  }

  it('stores every reading, queues only those the centre has not acknowledged, and names the first rowid', () => {
    const { db, writer, commits, queued, rid } = rig(1000);
    const [a, b, c] = [testReading(1), testReading(2), testReading(3)];
    for (const r of [a, b, c]) writer.addReading(r);
    writer.markReadingsDelivered([a.id, c.id]);
    expect(writer.flush()).toBe(true);
    expect(db.prepare('SELECT count(*) FROM readings').pluck().get()).toBe(3);
    expect(queued()).toEqual([b.id]);
    expect(commits[0]?.firstRid).toBe(rid(a.id));
    // The next commit starts afresh: an acknowledgement never carries over to another reading.
    const d = testReading(4);
    writer.addReading(d);
    writer.flush();
    expect(queued()).toEqual([b.id, d.id]);
    expect(commits[1]?.firstRid).toBe(rid(d.id));
    db.close();
  });

  it('a reading that filled the batch was committed inside addReading: it is no longer pending', () => {
    const { db, writer, queued } = rig(3);
    const [r1, r2, r3, r4] = [testReading(1), testReading(2), testReading(3), testReading(4)];
    writer.addReading(r1);
    expect(writer.isPending(r1)).toBe(true);
    writer.addReading(r2);
    writer.addReading(r3);
    expect(writer.isPending(r3)).toBe(false);
    expect(queued()).toHaveLength(3);
    writer.addReading(r4);
    expect(writer.isPending(r4)).toBe(true);
    writer.close();
    db.close();
  });
});
