import type { Reading } from '../domain/index.js';
import type { Outbox, OutboxReadingRow } from '../store/outbox.js';
import { deleteFresh } from '../util/fresh.js';
import { liveReadingJson } from './payloads.js';

/**
 * Readings the uplink publishes straight from memory, before their group commit, so a reading is
 * at the centre within a round trip of its arrival instead of after the routine commit delay
 * (up to `storage.group_commit.routine_delay_ms`, 5 s, to spare the SD card).
 *
 * Each reading taken here is owned by the live path until its PUBACK or a lost connection:
 * - PUBACKed before its commit: the writer is told, stores it and never queues it;
 * - committed first: its outbox row is known by rowid, which the drain skips (`owns`) and the
 *   PUBACK deletes;
 * - connection lost: everything is forgotten; committed readings are in the outbox and the drain
 *   sends them, the others are committed and queued as usual. Nothing is lost, and a reading goes
 *   twice only when its PUBACK was lost with the connection, as for any outbox row.
 * See docs/wire.md and the README ("The link to the centre").
 */
export interface LiveEntry {
  id: string;
  /** Its JSON inside a batch: the same bytes the outbox would build. */
  json: string;
  /** Rowid once committed, 0 before. */
  rid: number;
}

/** What a PUBACK settles: rowids to delete from the outbox, ids the writer must not queue. */
export interface LiveSettled {
  rids: number[];
  delivered: string[];
}

export class LiveReadings {
  private queue: LiveEntry[] = [];
  /** Every entry queued or in flight, by reading id. */
  private byId = new Map<string, LiveEntry>();
  /** Rowids of committed entries still queued or in flight: the drain must not send them too. */
  private rids = new Set<number>();

  /** @param bound most readings waiting to go; beyond it the outbox carries them (a slow link). */
  constructor(private readonly bound: number) {}

  get queued(): number {
    return this.queue.length;
  }

  /** How many committed rows the live path owns (0: the outbox needs no filtering). */
  get ownedRows(): number {
    return this.rids.size;
  }

  /** Takes the reading if there is room; false leaves it to the outbox. */
  offer(r: Reading): boolean {
    if (this.queue.length >= this.bound || this.byId.has(r.id)) return false;
    const entry: LiveEntry = { id: r.id, json: liveReadingJson(r), rid: 0 };
    this.queue.push(entry);
    this.byId.set(r.id, entry);
    return true;
  }

  /** Readings `readings` were committed, the first with rowid `firstRid`, the rest following by one. */
  committed(readings: readonly { id: string }[], firstRid: number): void {
    if (this.byId.size === 0) return;
    for (let i = 0; i < readings.length; i++) {
      const entry = this.byId.get((readings[i] as { id: string }).id);
      if (entry === undefined) continue;
      entry.rid = firstRid + i;
      this.rids.add(entry.rid);
    }
  }

  owns(rid: number): boolean {
    return this.rids.has(rid);
  }

  /** The oldest `count` waiting entries, now in flight. */
  take(count: number): LiveEntry[] {
    const out = this.queue.slice(0, count);
    this.queue = this.queue.slice(out.length);
    return out;
  }

  /** JSON of the first `count` waiting entries (to size a batch before taking it). */
  peekJson(count: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < count && i < this.queue.length; i++) out.push((this.queue[i] as LiveEntry).json);
    return out;
  }

  /**
   * A batch was PUBACKed: its entries leave the live path. Committed ones stay owned (the drain
   * skips their rows) until `release`, after their outbox rows are deleted.
   */
  settle(entries: readonly LiveEntry[]): LiveSettled {
    const settled: LiveSettled = { rids: [], delivered: [] };
    for (const e of entries) {
      this.byId = deleteFresh(this.byId, e.id);
      if (e.rid === 0) settled.delivered.push(e.id);
      else settled.rids.push(e.rid);
    }
    return settled;
  }

  /** Their outbox rows are gone (or could not be deleted and may go again): no longer owned. */
  release(rids: readonly number[]): void {
    for (const rid of rids) this.rids = deleteFresh(this.rids, rid);
  }

  /** The connection is gone: the store and the outbox carry everything from here. */
  reset(): void {
    this.queue = [];
    this.byId = new Map();
    this.rids = new Set();
  }
}

/** `r` as the outbox reads it back from SQLite (JSON text columns), for `readingJson` (tests compare). */
export function storedRow(r: Reading): OutboxReadingRow {
  return {
    oid: 0,
    id: r.id,
    node: r.node,
    seq: r.seq,
    type: r.type,
    ts: r.ts,
    via: r.via,
    v: JSON.stringify(r.v),
    radio: r.radio ? JSON.stringify(r.radio) : null,
    clock_ok: r.clockOk ? 1 : 0,
  };
}

type PageSource = Pick<Outbox, 'nextEvents' | 'nextReadingsJson' | 'ack'> &
  Partial<Pick<Outbox, 'nextReadingsPack'>>;

/**
 * The outbox as the drain must see it: without the committed rows the live path still owns
 * (queued or in flight), which would otherwise go twice. A page that held only such rows is
 * skipped past, so a run of them never hides the rows behind it.
 */
export function withoutLiveRows(outbox: PageSource, live: LiveReadings): PageSource {
  return {
    nextEvents: (limit, afterOid) => outbox.nextEvents(limit, afterOid),
    ack: (kind, oids, opts) => outbox.ack(kind, oids, opts),
    // A pack holding a row the live path owns is not taken: its readings are read one by one.
    nextReadingsPack: (limit, afterOid, maxBytes) => {
      const pack = outbox.nextReadingsPack?.(limit, afterOid, maxBytes);
      if (pack === undefined || live.ownedRows === 0) return pack;
      for (let rid = pack.lo; rid <= pack.hi; rid++) if (live.owns(rid)) return undefined;
      return pack;
    },
    nextReadingsJson: (limit, afterOid = 0) => {
      for (let after = afterOid; ; ) {
        const page = outbox.nextReadingsJson(limit, after);
        if (live.ownedRows === 0) return page;
        const kept = page.filter((r) => !live.owns(r[0]));
        const last = page.at(-1);
        if (kept.length > 0 || page.length < limit || last === undefined) return kept;
        after = last[0];
      }
    },
  };
}
