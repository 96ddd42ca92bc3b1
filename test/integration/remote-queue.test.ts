import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDb } from '../../src/store/db.js';
import { RemoteQueue } from '../../src/store/remote-queue.js';

let dir: string;
let db: Db;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'siaga-rq-'));
  file = join(dir, 'siaga.db');
  db = openDb(file);
});
afterEach(() => {
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

const heads = (q: RemoteQueue) => q.heads().map((r) => `${r.incident}:${r.facts}`);

describe('the remote queue in SQLite', () => {
  it("gives each incident's oldest row only: a PATCH waits for the POST before it", () => {
    const q = new RemoteQueue(db, 'earthranger');
    const a1 = q.enqueue('A', 'a1', 1);
    q.enqueue('A', 'a2', 2);
    const b1 = q.enqueue('B', 'b1', 3);
    expect(heads(q)).toEqual(['A:a1', 'B:b1']);
    q.delivered(a1, { server: 'er https://x', incident: 'A', remoteId: 'ev-A', now: 4 });
    // Soonest due first: a2 was queued (and so due) before b1.
    expect(heads(q)).toEqual(['A:a2', 'B:b1']);
    expect(q.remoteId('er https://x', 'A')).toBe('ev-A');
    // The id belongs to one server: another (Gundi, a new URL) starts with a new event.
    expect(q.remoteId('gundi https://x', 'A')).toBeUndefined();
    q.delivered(b1);
    expect(q.counts()).toEqual({ queued: 1, failed: 0 });
  });

  it('a row waiting out its backoff holds back its own incident, not the others', () => {
    const q = new RemoteQueue(db, 'earthranger');
    const a1 = q.enqueue('A', 'a1', 1);
    q.enqueue('A', 'a2', 1);
    q.enqueue('B', 'b1', 1);
    q.retryAt(a1, 10_000, 'HTTP 503');
    const due = q.heads().filter((r) => r.nextAt <= 5);
    expect(due.map((r) => r.facts)).toEqual(['b1']);
    expect(q.heads().find((r) => r.qid === a1)).toMatchObject({ attempts: 1, lastError: 'HTTP 503' });
    q.dueNow(5);
    expect(
      q
        .heads()
        .filter((r) => r.nextAt <= 5)
        .map((r) => r.facts),
    ).toEqual(['b1', 'a1']);
  });

  it('a parked row is kept with its error, stops holding back its incident, and comes back on unpark', () => {
    const q = new RemoteQueue(db, 'earthranger');
    const a1 = q.enqueue('A', 'a1', 1);
    q.enqueue('A', 'a2', 2);
    q.park(a1, 'HTTP 400: unknown event_type');
    expect(heads(q)).toEqual(['A:a2']);
    expect(q.counts()).toEqual({ queued: 1, failed: 1 });
    expect(q.failed()).toMatchObject([{ qid: a1, lastError: 'HTTP 400: unknown event_type', attempts: 1 }]);
    expect(q.unpark(9)).toBe(1);
    expect(heads(q)).toEqual(['A:a1']);
    expect(q.counts()).toEqual({ queued: 2, failed: 0 });
  });

  it('keeps its rows and ids across a close and reopen of the file', () => {
    const q = new RemoteQueue(db, 'earthranger');
    const a1 = q.enqueue('A', 'a1', 1);
    q.enqueue('A', 'a2', 2);
    q.delivered(a1, { server: 's', incident: 'A', remoteId: 'ev-A', now: 3 });
    db.close();
    db = openDb(file);
    const again = new RemoteQueue(db, 'earthranger');
    expect(heads(again)).toEqual(['A:a2']);
    expect(again.remoteId('s', 'A')).toBe('ev-A');
  });

  it('another target does not see these rows', () => {
    new RemoteQueue(db, 'earthranger').enqueue('A', 'a1', 1);
    expect(new RemoteQueue(db, 'other').heads()).toEqual([]);
  });
});
