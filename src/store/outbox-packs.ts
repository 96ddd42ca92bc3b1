import { promisify } from 'node:util';
import { deflateRaw as deflateRawCallback, inflateRawSync } from 'node:zlib';
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';

const deflateRaw = promisify(deflateRawCallback);

/**
 * Queued readings `lo..hi` taken whole out of a pack: their wire JSON joined by ',' as UTF-8,
 * which is a readings batch's array body as it goes on the wire (docs/wire.md §3).
 */
export interface ReadingsPack {
  lo: number;
  hi: number;
  body: Buffer;
}

export interface OutboxPacksDeps {
  db: Db;
  /**
   * The `n` readings from rowid `lo` as one string, their wire JSON joined by ',', when every one
   * of them is queued and stored; else undefined (the outbox's own page query).
   */
  pageText(lo: number, n: number): string | undefined;
}

/** Rowid above any a reading can have: the bound when a table is empty. */
const MAX_ROWID = Number.MAX_SAFE_INTEGER;

/**
 * Packs no drain could use any more: wholly PUBACKed, holding a reading pruned, or rowids past the
 * newest reading. Retention runs it after pruning.
 */
export const DROP_STALE_PACKS = `DELETE FROM outbox_packs
  WHERE hi < coalesce((SELECT min(rid) FROM outbox_readings), ${MAX_ROWID})
     OR lo < coalesce((SELECT min(rid) FROM readings), ${MAX_ROWID})
     OR hi > coalesce((SELECT max(rid) FROM readings), 0)`;

/**
 * The readings backlog packed while the centre is unreachable (README, "For the operators of the
 * central broker": a backlog is packed while it waits). Formatting each reading's wire JSON costs
 * a drain about what MQTT.js spends sending it (bench/README, P4); a backlog builds up over hours
 * in which the gateway is nearly idle, so that work is done then: a batch at a time, kept as the
 * batch's array body in raw deflate (~24 B a reading against ~135 B of JSON), which the drain
 * publishes as bytes without making a string of any reading.
 *
 * A pack is a cache, never the record, and is used only whole: while every reading in it is still
 * queued and the readings at its two ends still carry the ids packed (a rowid reused after the
 * newest readings were pruned can never pass). Anything else is read from the readings as before,
 * and such a read stops where the next pack starts, so the drain meets that pack at its start.
 */
export class OutboxPacks {
  private readonly qWhole: Statement<[number, number]>;
  private readonly qEndIds: Statement<[number, number]>;
  private readonly qNextLo: Statement<[number]>;
  private readonly qInsert: Statement<[number, number, string, string, Buffer]>;
  private readonly qNextQueued: Statement<[number]>;
  private readonly qMaxQueued: Statement<[]>;
  private readonly qDropBelow: Statement<[number, number]>;
  private readonly qDropWithin: Statement<[number, number, number]>;
  private readonly qDropStale: Statement<[]>;
  private readonly qAny: Statement<[]>;
  private readonly qLastHi: Statement<[]>;
  private readonly qPackedReadings: Statement<[]>;
  /** Packs may exist: while none do, the drain asks nothing of them. */
  private stored: boolean;
  /** Where the next pack may start (rowid). */
  private nextLo: number;

  constructor(private readonly deps: OutboxPacksDeps) {
    const { db } = deps;
    // The pack starting at a rowid and whether it may be used, in one statement (a drain asks once
    // a batch): at most `limit` readings, every one still queued, the ids at both ends unchanged.
    this.qWhole = db
      .prepare(
        `SELECT p.hi, p.body FROM outbox_packs p
         WHERE p.lo = ? AND p.hi - p.lo < ?
           AND (SELECT count(*) FROM outbox_readings WHERE rid BETWEEN p.lo AND p.hi) = p.hi - p.lo + 1
           AND p.first_id = (SELECT id FROM readings WHERE rid = p.lo)
           AND p.last_id = (SELECT id FROM readings WHERE rid = p.hi)`,
      )
      .raw(true) as Statement<[number, number]>;
    this.qEndIds = db
      .prepare('SELECT (SELECT id FROM readings WHERE rid = ?), (SELECT id FROM readings WHERE rid = ?)')
      .raw(true) as Statement<[number, number]>;
    this.qNextLo = db.prepare('SELECT min(lo) FROM outbox_packs WHERE lo > ?').pluck() as Statement<[number]>;
    this.qInsert = db.prepare(
      'INSERT OR REPLACE INTO outbox_packs (lo, hi, first_id, last_id, body) VALUES (?, ?, ?, ?, ?)',
    );
    this.qNextQueued = db.prepare('SELECT min(rid) FROM outbox_readings WHERE rid >= ?').pluck() as Statement<
      [number]
    >;
    this.qMaxQueued = db.prepare('SELECT max(rid) FROM outbox_readings').pluck() as Statement<[]>;
    // `lo < ?` first: the primary key bounds the scan (hi >= lo, so hi < m implies lo < m).
    this.qDropBelow = db.prepare('DELETE FROM outbox_packs WHERE lo < ? AND hi < ?');
    this.qDropWithin = db.prepare('DELETE FROM outbox_packs WHERE lo BETWEEN ? AND ? AND hi <= ?');
    this.qDropStale = db.prepare(DROP_STALE_PACKS);
    this.qAny = db.prepare('SELECT EXISTS (SELECT 1 FROM outbox_packs)').pluck() as Statement<[]>;
    this.qLastHi = db.prepare('SELECT max(hi) FROM outbox_packs').pluck() as Statement<[]>;
    this.qPackedReadings = db
      .prepare('SELECT coalesce(sum(hi - lo + 1), 0) FROM outbox_packs')
      .pluck() as Statement<[]>;
    this.stored = this.qAny.get() === 1;
    this.nextLo = ((this.qLastHi.get() as number | null) ?? 0) + 1;
  }

  /** Whether packs may exist (none: the drain reads every reading from its row). */
  get any(): boolean {
    return this.stored;
  }

  /** How many readings wait packed, for `siaga status` (a pack partly sent still counts whole). */
  readings(): number {
    return this.stored ? (this.qPackedReadings.get() as number) : 0;
  }

  /**
   * The pack starting at rowid `start`, inflated, when it holds at most `limit` readings, its body
   * is at most `maxBytes` and every reading in it may be sent; else undefined.
   */
  whole(start: number, limit: number, maxBytes: number): ReadingsPack | undefined {
    if (!this.stored) return undefined;
    const row = this.qWhole.get(start, limit) as [hi: number, body: Buffer] | undefined;
    if (row === undefined) return undefined;
    const body = inflateRawSync(row[1]);
    return body.length <= maxBytes ? { lo: start, hi: row[0], body } : undefined;
  }

  /** Where the first pack after rowid `start` begins (undefined: none). A read from the readings stops before it. */
  nextStartAfter(start: number): number | undefined {
    if (!this.stored) return undefined;
    return (this.qNextLo.get(start) as number | null) ?? undefined;
  }

  /**
   * Packs up to `maxPages` full pages of `n` queued readings after the last pack (a page whose
   * rowids are not all queued, such as one the live path sent in part, is left to the drain's
   * own reads). Each page's JSON is compressed on libuv's pool. Resolves how many were written.
   */
  async pack(n: number, maxPages: number): Promise<number> {
    let written = 0;
    for (let tries = 0; tries < maxPages; tries++) {
      const lo = this.qNextQueued.get(this.nextLo) as number | null;
      const newest = this.qMaxQueued.get() as number | null;
      if (lo === null || newest === null || newest < lo + n - 1) break;
      const hi = lo + n - 1;
      // Every reading in it queued and stored (else left to the drain's own reads), and the ids at
      // both ends, which a drain checks before it uses the pack.
      const text = this.deps.pageText(lo, n);
      const [first, last] =
        text === undefined ? [null, null] : (this.qEndIds.get(lo, hi) as [string | null, string | null]);
      if (text === undefined || first === null || last === null) {
        this.nextLo = hi + 1;
        continue;
      }
      const body = await deflateRaw(text, { level: 6 });
      this.qInsert.run(lo, hi, first, last, body);
      this.stored = true;
      this.nextLo = hi + 1;
      written++;
    }
    return written;
  }

  /**
   * Rows `lo..hi` were PUBACKed and deleted: the packs they held go, and those wholly below the
   * oldest row still queued (`oldestQueued`, null: none).
   */
  dropAcked(lo: number, hi: number, oldestQueued: number | null): void {
    if (!this.stored) return;
    this.qDropWithin.run(lo, hi, hi);
    const m = oldestQueued ?? MAX_ROWID;
    this.qDropBelow.run(m, m);
    this.refresh();
  }

  /**
   * After pruning or a resend: drops packs no drain could use any more (wholly PUBACKed, or
   * holding a reading pruned, or rowids past the newest reading).
   */
  dropStale(): void {
    if (!this.stored) return;
    this.qDropStale.run();
    this.refresh();
  }

  private refresh(): void {
    this.stored = this.qAny.get() === 1;
    // None left: packing starts again from the oldest queued row.
    if (!this.stored) this.nextLo = 1;
  }
}
