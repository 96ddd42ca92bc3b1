import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';

/**
 * Command nonces, persisted so that a restart does not reopen the replay window: a nonce is kept
 * until `expires` (the caller uses now + 2 × max_skew), after which its timestamp is stale anyway.
 */
export class NonceStore {
  private readonly qSeen: Statement<[string]>;
  private readonly qRemember: Statement<[string, string, number]>;
  private readonly qPrune: Statement<[number]>;

  constructor(db: Db) {
    this.qSeen = db.prepare('SELECT 1 FROM nonces WHERE nonce = ?');
    this.qRemember = db.prepare('INSERT OR IGNORE INTO nonces (nonce, key_id, expires) VALUES (?, ?, ?)');
    this.qPrune = db.prepare('DELETE FROM nonces WHERE expires < ?');
  }

  seen(nonce: string): boolean {
    return this.qSeen.get(nonce) !== undefined;
  }

  /** Records the nonce. Returns false when it was already there (a replay), atomically. */
  remember(nonce: string, keyId: string, expires: number): boolean {
    return this.qRemember.run(nonce, keyId, expires).changes === 1;
  }

  /** Forgets nonces that expired before `now`. Returns how many. */
  prune(now: number): number {
    return this.qPrune.run(now).changes;
  }
}
