import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import { toStorageError } from './db.js';

/** One request still owed to a remote server (EarthRanger, Gundi). */
export interface RemoteRow {
  qid: number;
  incident: string;
  /** JSON text of what to tell the server, rendered when sent. */
  facts: string;
  created: number;
  attempts: number;
  /** epoch ms before which the row is not tried again */
  nextAt: number;
  lastError: string | null;
}

interface RawRow {
  qid: number;
  incident: string;
  facts: string;
  created: number;
  attempts: number;
  next_at: number;
  last_error: string | null;
}

export interface RemoteCounts {
  queued: number;
  failed: number;
}

/**
 * The durable queue of requests to a remote server, in SQLite so a restart, a power cut or a week
 * without signal loses none. An incident's rows go strictly in order (the first creates the event,
 * later ones patch the id it gave); incidents do not wait for each other: `heads` gives each
 * incident's oldest queued row. A row refused for good is parked as `failed`, never deleted,
 * and stops holding back the rows after it. Every method throws `StorageError` on failure.
 */
export class RemoteQueue {
  private readonly q: {
    insert: Statement<[string, string, string, number, number]>;
    heads: Statement<[{ target: string; limit: number }]>;
    remove: Statement<[number]>;
    retry: Statement<[number, string, number]>;
    park: Statement<[string, number]>;
    unpark: Statement<[number, string]>;
    dueNow: Statement<[number, string, number]>;
    counts: Statement<[string]>;
    failed: Statement<[string, number]>;
    getId: Statement<[string, string]>;
    setId: Statement<[string, string, string, number]>;
  };

  constructor(
    private readonly db: Db,
    /** Which remote this queue feeds (`earthranger`): one table serves every remote. */
    private readonly target: string,
  ) {
    this.q = {
      insert: db.prepare(
        'INSERT INTO remote_queue (target, incident, facts, created, next_at) VALUES (?, ?, ?, ?, ?)',
      ),
      heads: db.prepare(
        `SELECT qid, incident, facts, created, attempts, next_at, last_error FROM remote_queue q
         WHERE q.target = @target AND q.state = 'queued' AND q.qid = (
           SELECT min(qid) FROM remote_queue WHERE target = @target AND incident = q.incident AND state = 'queued')
         ORDER BY q.next_at, q.qid LIMIT @limit`,
      ),
      remove: db.prepare('DELETE FROM remote_queue WHERE qid = ?'),
      retry: db.prepare(
        'UPDATE remote_queue SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE qid = ?',
      ),
      park: db.prepare(
        "UPDATE remote_queue SET attempts = attempts + 1, state = 'failed', last_error = ? WHERE qid = ?",
      ),
      unpark: db.prepare(
        "UPDATE remote_queue SET state = 'queued', next_at = ? WHERE target = ? AND state = 'failed'",
      ),
      dueNow: db.prepare(
        "UPDATE remote_queue SET next_at = ? WHERE target = ? AND state = 'queued' AND next_at > ?",
      ),
      counts: db.prepare(
        `SELECT coalesce(sum(state = 'queued'), 0) AS queued, coalesce(sum(state = 'failed'), 0) AS failed
         FROM remote_queue WHERE target = ?`,
      ),
      failed: db.prepare(
        `SELECT qid, incident, facts, created, attempts, next_at, last_error FROM remote_queue
         WHERE target = ? AND state = 'failed' ORDER BY qid LIMIT ?`,
      ),
      getId: db.prepare('SELECT remote_id FROM remote_ids WHERE server = ? AND incident = ?'),
      setId: db.prepare(
        'INSERT INTO remote_ids (server, incident, remote_id, created) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT(server, incident) DO UPDATE SET remote_id = excluded.remote_id',
      ),
    };
  }

  /** Queues one request, committed before this returns. */
  enqueue(incident: string, facts: string, now: number): number {
    return this.run('queue a remote request', () =>
      Number(this.q.insert.run(this.target, incident, facts, now, now).lastInsertRowid),
    );
  }

  /** Each incident's oldest queued row, soonest due first. */
  heads(limit = 100): RemoteRow[] {
    return this.run('read the remote queue', () =>
      (this.q.heads.all({ target: this.target, limit }) as RawRow[]).map(toRow),
    );
  }

  /** The row was delivered: gone, and the id the server gave (on a create) kept in the same commit. */
  delivered(qid: number, saveId?: { server: string; incident: string; remoteId: string; now: number }): void {
    this.run('record a delivered remote request', () =>
      this.db.transaction(() => {
        if (saveId) this.q.setId.run(saveId.server, saveId.incident, saveId.remoteId, saveId.now);
        this.q.remove.run(qid);
      })(),
    );
  }

  retryAt(qid: number, nextAt: number, error: string): void {
    this.run('reschedule a remote request', () => this.q.retry.run(nextAt, error, qid));
  }

  park(qid: number, error: string): void {
    this.run('park a refused remote request', () => this.q.park.run(error, qid));
  }

  /** Parked rows go back in the queue (the operator changed the config); returns how many. */
  unpark(now: number): number {
    return this.run('requeue parked remote requests', () => this.q.unpark.run(now, this.target).changes);
  }

  /** Every queued row is due now (the operator fixed the token: no need to wait out the backoff). */
  dueNow(now: number): void {
    this.run('reschedule remote requests', () => this.q.dueNow.run(now, this.target, now));
  }

  counts(): RemoteCounts {
    return this.run('count the remote queue', () => this.q.counts.get(this.target) as RemoteCounts);
  }

  /** Parked rows, oldest first, with the server's words. */
  failed(limit = 20): RemoteRow[] {
    return this.run('read parked remote requests', () =>
      (this.q.failed.all(this.target, limit) as RawRow[]).map(toRow),
    );
  }

  remoteId(server: string, incident: string): string | undefined {
    return this.run('read a remote id', () => {
      const r = this.q.getId.get(server, incident) as { remote_id: string } | undefined;
      return r?.remote_id;
    });
  }

  private run<T>(what: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      throw toStorageError(e, `cannot ${what}`);
    }
  }
}

function toRow(r: RawRow): RemoteRow {
  return {
    qid: r.qid,
    incident: r.incident,
    facts: r.facts,
    created: r.created,
    attempts: r.attempts,
    nextAt: r.next_at,
    lastError: r.last_error,
  };
}
