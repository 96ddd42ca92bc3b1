import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import { toStorageError } from './db.js';

/** A zone silenced by a technician or a signed command, until `until` (epoch ms). */
export interface Silence {
  zone: string;
  until: number;
  by: string;
  reason?: string;
}

/** One row of `siren_log`: a stretch of a siren being on. */
export interface SirenLogRow {
  id: number;
  siren: string;
  zone: string | null;
  onTs: number;
  offTs: number | null;
  cause: string | null;
}

interface RawLogRow {
  id: number;
  siren: string;
  zone: string | null;
  on_ts: number;
  off_ts: number | null;
  cause: string | null;
}

/**
 * Siren persistence over SQLite: silences (survive restarts) and `siren_log` rows (the hourly
 * budget after a restart and the daily summary). Every method throws `StorageError` on failure;
 * the controller catches and keeps sounding sirens from memory.
 */
export class SirenStore {
  private readonly q: {
    listSilences: Statement<[]>;
    setSilence: Statement<[string, number, string, string | null]>;
    deleteSilence: Statement<[string]>;
    openLog: Statement<[string, string | null, number, string | null]>;
    closeLog: Statement<[number, number]>;
    openRows: Statement<[]>;
    since: Statement<[number]>;
  };

  constructor(db: Db) {
    this.q = {
      listSilences: db.prepare('SELECT zone, until, by, reason FROM silences ORDER BY zone'),
      setSilence: db.prepare(
        'INSERT INTO silences (zone, until, by, reason) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT(zone) DO UPDATE SET until = excluded.until, by = excluded.by, reason = excluded.reason',
      ),
      deleteSilence: db.prepare('DELETE FROM silences WHERE zone = ?'),
      openLog: db.prepare('INSERT INTO siren_log (siren, zone, on_ts, cause) VALUES (?, ?, ?, ?)'),
      closeLog: db.prepare('UPDATE siren_log SET off_ts = ? WHERE id = ? AND off_ts IS NULL'),
      openRows: db.prepare('SELECT * FROM siren_log WHERE off_ts IS NULL ORDER BY id'),
      since: db.prepare('SELECT * FROM siren_log WHERE off_ts IS NULL OR off_ts > ? ORDER BY on_ts'),
    };
  }

  silences(): Silence[] {
    return this.run('read silences', () =>
      (this.q.listSilences.all() as { zone: string; until: number; by: string; reason: string | null }[]).map(
        (r) => (r.reason === null ? { zone: r.zone, until: r.until, by: r.by } : { ...r, reason: r.reason }),
      ),
    );
  }

  setSilence(s: Silence): void {
    this.run('write silence', () => this.q.setSilence.run(s.zone, s.until, s.by, s.reason ?? null));
  }

  deleteSilence(zone: string): void {
    this.run('delete silence', () => this.q.deleteSilence.run(zone));
  }

  /** Records a siren switching on; returns the row id to close later. */
  openLog(siren: string, zone: string | null, onTs: number, cause: string | null): number {
    return this.run('write siren_log', () =>
      Number(this.q.openLog.run(siren, zone, onTs, cause).lastInsertRowid),
    );
  }

  closeLog(id: number, offTs: number): void {
    this.run('write siren_log', () => this.q.closeLog.run(offTs, id));
  }

  /** Rows still open: sirens that were on when the gateway stopped (crash, power cut). */
  openLogs(): SirenLogRow[] {
    return this.run('read siren_log', () => (this.q.openRows.all() as RawLogRow[]).map(toRow));
  }

  /** Rows that were on at some point after `since` (open rows included). */
  logsSince(since: number): SirenLogRow[] {
    return this.run('read siren_log', () => (this.q.since.all(since) as RawLogRow[]).map(toRow));
  }

  /** Seconds each siren was on within (since, now]; open rows count up to now. */
  onSecondsSince(since: number, now: number): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of this.logsSince(since)) {
      const end = Math.min(r.offTs ?? now, now);
      const start = Math.max(r.onTs, since);
      if (end > start) out.set(r.siren, (out.get(r.siren) ?? 0) + (end - start) / 1000);
    }
    return out;
  }

  private run<T>(what: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      throw toStorageError(e, `cannot ${what}`);
    }
  }
}

function toRow(r: RawLogRow): SirenLogRow {
  return { id: r.id, siren: r.siren, zone: r.zone, onTs: r.on_ts, offTs: r.off_ts, cause: r.cause };
}
