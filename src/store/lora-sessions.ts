import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import { toStorageError } from './db.js';
import type { CommitParticipant } from './writer.js';

/** One OTAA session as stored (keys as 32 hex digits; the database is the gateway's own, mode 0640). */
export interface StoredSession {
  devEui: string;
  node: string;
  devAddr: string;
  nwkSKey: string;
  appSKey: string;
  joinNonce: number;
  joinedAt: number;
}

interface SessionRow {
  dev_eui: string;
  node: string;
  dev_addr: string;
  nwk_s_key: string;
  app_s_key: string;
  join_nonce: number;
  joined_at: number;
}

const fromRow = (r: SessionRow): StoredSession => ({
  devEui: r.dev_eui,
  node: r.node,
  devAddr: r.dev_addr,
  nwkSKey: r.nwk_s_key,
  appSKey: r.app_s_key,
  joinNonce: r.join_nonce,
  joinedAt: r.joined_at,
});

/**
 * How far FCntDown skips ahead when first read after a start: more than the downlinks one group
 * commit can hold back, far less than the 16384 a LoRaWAN 1.0 device accepts as a gap.
 */
export const FCNT_DOWN_RESTART_GAP = 16;

/** Outcome of recording a join: a DevNonce seen before opens nothing. */
export type JoinRecord = 'ok' | 'replayed_nonce';

/**
 * OTAA sessions, used DevNonces and downlink frame counters in SQLite (migration 2). A join is
 * committed at once, before its JoinAccept goes on air: a replayed JoinRequest must find its
 * DevNonce spent even after a crash. FCntDown is written inside the group commit (the writer calls
 * `writeDirty`), so the counter of a siren command is durable with the event that caused it.
 */
export class LoraSessionStore implements CommitParticipant {
  private readonly all: Statement<[], SessionRow>;
  private readonly getDown: Statement<[string], { fcnt_down: number }>;
  private readonly putDown: Statement<[string, number, number]>;
  private readonly maxNonce: Statement<[string], { n: number | null }>;
  private readonly joinTxn: (s: StoredSession, devNonce: number) => JoinRecord;
  /** Next FCntDown per DevAddr, in front of the table. */
  private readonly down = new Map<string, number>();
  private readonly dirty = new Map<string, { next: number; ts: number }>();

  constructor(
    db: Db,
    private readonly groupCommit?: { requestFlush(): void },
  ) {
    try {
      this.all = db.prepare('SELECT * FROM lora_sessions ORDER BY node');
      this.getDown = db.prepare('SELECT fcnt_down FROM lora_fcnt_down WHERE dev_addr = ?');
      this.putDown = db.prepare(
        `INSERT INTO lora_fcnt_down (dev_addr, fcnt_down, last_ts) VALUES (?, ?, ?)
         ON CONFLICT (dev_addr) DO UPDATE SET fcnt_down = excluded.fcnt_down, last_ts = excluded.last_ts`,
      );
      this.maxNonce = db.prepare('SELECT max(join_nonce) AS n FROM lora_sessions WHERE dev_eui = ?');
      const useNonce = db.prepare(
        'INSERT INTO lora_dev_nonces (dev_eui, dev_nonce, ts) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      );
      const old = db.prepare('SELECT dev_addr FROM lora_sessions WHERE dev_eui = ?');
      const forget = db.prepare('DELETE FROM lora_fcnt_down WHERE dev_addr = ?');
      const forgetUp = db.prepare('DELETE FROM lora_state WHERE dev_addr = ?');
      const put = db.prepare(
        `INSERT INTO lora_sessions (dev_eui, node, dev_addr, nwk_s_key, app_s_key, join_nonce, joined_at)
         VALUES (@devEui, @node, @devAddr, @nwkSKey, @appSKey, @joinNonce, @joinedAt)
         ON CONFLICT (dev_eui) DO UPDATE SET node = excluded.node, dev_addr = excluded.dev_addr,
           nwk_s_key = excluded.nwk_s_key, app_s_key = excluded.app_s_key,
           join_nonce = excluded.join_nonce, joined_at = excluded.joined_at`,
      );
      this.joinTxn = db.transaction((s: StoredSession, devNonce: number): JoinRecord => {
        if (useNonce.run(s.devEui, devNonce, s.joinedAt).changes === 0) return 'replayed_nonce';
        const prev = old.get(s.devEui) as { dev_addr: string } | undefined;
        // FCnts restart at 0 in a new session, up and down, under the old address and the new.
        for (const addr of new Set([prev?.dev_addr, s.devAddr])) {
          if (addr === undefined) continue;
          forget.run(addr);
          forgetUp.run(addr);
        }
        put.run(s);
        return 'ok';
      });
    } catch (e) {
      throw toStorageError(e, 'cannot prepare lora session statements');
    }
  }

  sessions(): StoredSession[] {
    try {
      return this.all.all().map(fromRow);
    } catch (e) {
      throw toStorageError(e, 'cannot read lora sessions');
    }
  }

  /** The JoinNonce for this device's next JoinAccept: one more than any it was sent. */
  nextJoinNonce(devEui: string): number {
    try {
      return ((this.maxNonce.get(devEui)?.n ?? -1) + 1) & 0xffffff;
    } catch (e) {
      throw toStorageError(e, 'cannot read lora join nonce');
    }
  }

  /**
   * Spends `devNonce` and stores the session in one commit. Throws StorageError when it cannot:
   * then no JoinAccept may be sent, since the nonce would not be remembered.
   */
  recordJoin(s: StoredSession, devNonce: number): JoinRecord {
    let result: JoinRecord;
    try {
      result = this.joinTxn(s, devNonce);
    } catch (e) {
      throw toStorageError(e, 'cannot store lora join');
    }
    if (result === 'ok') {
      this.down.set(s.devAddr, 0);
      this.dirty.delete(s.devAddr);
    }
    return result;
  }

  /** The FCntDown to use for the next downlink to `devAddr`; the one after it is written at the next commit. */
  takeFcntDown(devAddr: string, ts: number): number {
    let next = this.down.get(devAddr);
    if (next === undefined) {
      try {
        const stored = this.getDown.get(devAddr)?.fcnt_down;
        // A kill -9 can lose the last few increments (written with the next commit); skipping
        // ahead is harmless (a device takes any higher FCntDown), reusing one is not.
        next = stored === undefined ? 0 : stored + FCNT_DOWN_RESTART_GAP;
      } catch (e) {
        throw toStorageError(e, 'cannot read lora fcnt down');
      }
    }
    this.down.set(devAddr, next + 1);
    this.dirty.set(devAddr, { next: next + 1, ts });
    this.groupCommit?.requestFlush();
    if (this.groupCommit === undefined) this.writeNow();
    return next;
  }

  private writeNow(): void {
    try {
      this.writeDirty();
      this.committed();
    } catch (e) {
      throw toStorageError(e, 'cannot store lora fcnt down');
    }
  }

  writeDirty(): void {
    for (const [addr, d] of this.dirty) this.putDown.run(addr, d.next, d.ts);
  }

  committed(): void {
    this.dirty.clear();
  }
}

/** One row of `siaga lora devices`, read straight from the database. */
export interface LoraDeviceRow {
  devAddr: string;
  fcntUp: number | null;
  fcntDown: number | null;
  lastSeen: number | null;
}

/** Uplink and downlink counters of `devAddr`: what `siaga lora devices` prints beside the config. */
export function loraCounters(db: Db, devAddr: string): LoraDeviceRow {
  const up = db.prepare('SELECT fcnt, last_seen FROM lora_state WHERE dev_addr = ?').get(devAddr) as
    | { fcnt: number; last_seen: number }
    | undefined;
  const down = db.prepare('SELECT fcnt_down FROM lora_fcnt_down WHERE dev_addr = ?').get(devAddr) as
    | { fcnt_down: number }
    | undefined;
  return {
    devAddr,
    fcntUp: up?.fcnt ?? null,
    // The table holds the next value; the last one sent is one less.
    fcntDown: down === undefined ? null : down.fcnt_down - 1,
    lastSeen: up?.last_seen ?? null,
  };
}

/** Stored OTAA sessions, for readers without a running gateway (the CLI). */
export function storedSessions(db: Db): StoredSession[] {
  return (db.prepare('SELECT * FROM lora_sessions ORDER BY node').all() as SessionRow[]).map(fromRow);
}
