import { promisify } from 'node:util';
import { deflateRaw as deflateRawCallback, inflateRawSync } from 'node:zlib';
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';

const deflateRaw = promisify(deflateRawCallback);

/** A queued reading as `[oid, its JSON inside a batch]` (docs/wire.md §3). */
export type PackedReadingJson = [oid: number, json: string];

export interface OutboxPacksDeps {
  db: Db;
  /**
   * The `n` readings from rowid `lo` as one string, their wire JSON joined by `sep`, when every one
   * of them is queued and stored; else undefined (the outbox's own page query).
   */
  pageText(lo: number, n: number): string | undefined;
  /** What joins the readings in a page string: a control character JSON text holds only escaped. */
  sep: string;
}

interface PackRow {
  lo: number;
  hi: number;
  first_id: string;
  last_id: string;
  body: Buffer;
}

/** A pack as `read` uses it: its bounds, the ids at both ends, each reading's JSON. */
interface OpenPack {
  lo: number;
  hi: number;
  firstId: string;
  lastId: string;
  pieces: string[];
}

interface PackCheck {
  queued: number;
  first: string | null;
  last: string | null;
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
 * central broker": a backlog is packed while it waits). Formatting each reading's wire JSON in
 * SQLite costs a drain about what MQTT.js spends sending it (bench/README, P4); a backlog builds
 * up over hours in which the gateway is nearly idle, so that work is done then, a page at a time, and the page kept as raw deflate
 * (~24 B a reading against ~135 B of JSON). A pack is a cache, never the record: the drain uses one
 * only while every reading in the part it takes is still queued and the readings at the pack's
 * two ends still carry the ids packed (a rowid reused after the newest readings were pruned can
 * never pass); anything else is read from the readings as before.
 */
export class OutboxPacks {
  private readonly qFind: Statement<[number]>;
  private readonly qCheck: Statement<[number, number, number, number]>;
  private readonly qInsert: Statement<[number, number, string, string, Buffer]>;
  private readonly qNextQueued: Statement<[number]>;
  private readonly qMaxQueued: Statement<[]>;
  private readonly qDropBelow: Statement<[number, number]>;
  private readonly qDropWithin: Statement<[number, number, number]>;
  private readonly qDropStale: Statement<[]>;
  private readonly qAny: Statement<[]>;
  private readonly qLastHi: Statement<[]>;
  /** Packs may exist: while none do, a read costs nothing. */
  private stored: boolean;
  /** Where the next pack may start (rowid). */
  private nextLo: number;
  /** The pack `read` opened last (`packAt`). */
  private open: OpenPack | undefined;

  constructor(private readonly deps: OutboxPacksDeps) {
    const { db } = deps;
    this.qFind = db.prepare(
      'SELECT lo, hi, first_id, last_id, body FROM outbox_packs WHERE lo <= ? ORDER BY lo DESC LIMIT 1',
    );
    this.qCheck = db.prepare(
      `SELECT (SELECT count(*) FROM outbox_readings WHERE rid BETWEEN ? AND ?) AS queued,
              (SELECT id FROM readings WHERE rid = ?) AS first, (SELECT id FROM readings WHERE rid = ?) AS last`,
    );
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
    this.stored = this.qAny.get() === 1;
    this.nextLo = ((this.qLastHi.get() as number | null) ?? 0) + 1;
  }

  /** Whether packs may exist (none: the drain reads every reading from its row). */
  get any(): boolean {
    return this.stored;
  }

  /**
   * The queued readings from rowid `start` on, up to `limit`, oldest first, out of packs; stops at
   * the first rowid no usable pack holds. Undefined when none does `start`.
   */
  read(start: number, limit: number): PackedReadingJson[] | undefined {
    if (!this.stored) return undefined;
    const out: PackedReadingJson[] = [];
    let at = start;
    while (out.length < limit) {
      const pack = this.packAt(at);
      if (pack === undefined) break;
      const end = Math.min(pack.hi, at + (limit - out.length) - 1);
      const check = this.qCheck.get(at, end, pack.lo, pack.hi) as PackCheck;
      if (check.queued !== end - at + 1 || check.first !== pack.firstId || check.last !== pack.lastId) break;
      for (let rid = at; rid <= end; rid++) out.push([rid, pack.pieces[rid - pack.lo] as string]);
      at = end + 1;
    }
    return out.length > 0 ? out : undefined;
  }

  /**
   * The pack holding rowid `at`, its readings' JSON split out. The last one opened is kept: a
   * drain takes a pack a batch at a time, and opening one (a lookup, a zlib stream, inflating
   * ~150 kB) is most of what a packed batch costs. Whether it may still be used is checked by
   * `read` against the queue and the readings at every use, never assumed from the cache.
   */
  private packAt(at: number): OpenPack | undefined {
    const open = this.open;
    if (open !== undefined && open.lo <= at && at <= open.hi) return open;
    const row = this.qFind.get(at) as PackRow | undefined;
    if (row === undefined || row.hi < at) return undefined;
    const pieces = inflateRawSync(row.body).toString('utf8').split(this.deps.sep);
    if (pieces.length !== row.hi - row.lo + 1) return undefined;
    this.open = { lo: row.lo, hi: row.hi, firstId: row.first_id, lastId: row.last_id, pieces };
    return this.open;
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
      const text = this.deps.pageText(lo, n);
      // The ids at both ends, which a drain checks before it uses the pack.
      const ends = text === undefined ? undefined : (this.qCheck.get(lo, hi, lo, hi) as PackCheck);
      if (text === undefined || ends === undefined || ends.first === null || ends.last === null) {
        // Not every reading in it queued and stored: left to the drain's own reads.
        this.nextLo = hi + 1;
        continue;
      }
      const body = await deflateRaw(text, { level: 6 });
      this.qInsert.run(lo, hi, ends.first, ends.last, body);
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
    if (this.stored) return;
    // None left: packing starts again from the oldest queued row.
    this.open = undefined;
    this.nextLo = 1;
  }
}
