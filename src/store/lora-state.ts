import type { Statement } from 'better-sqlite3';
import type { FcntStore } from '../ports/fcnt-store.js';
import type { Db } from './db.js';
import { toStorageError } from './db.js';

/** Radio statistics of one packet forwarder, accumulated over its `stat` reports. */
export interface GatewayStats {
  gatewayEui: string;
  /** Sum of the forwarder's `rxnb` (packets received per report interval). */
  rxPackets: number;
  /** Sum of the forwarder's `txnb` (packets emitted per report interval). */
  txPackets: number;
  /** The numeric fields of the last `stat` (STAT_FIELDS), or null when none has come yet. */
  lastStat: Record<string, number> | null;
  lastSeen: number;
}

interface StatRow {
  gateway_eui: string;
  rx_packets: number;
  tx_packets: number;
  last_stat: string | null;
  last_seen: number;
}

/**
 * Packets counted in one forwarder stat report (one stat_interval, 30 s by default: an 8-channel
 * SX1302 tops out near 160 packets/s). A larger, negative or non-integer count is a broken or
 * hostile report and adds nothing, so the stored totals can never overflow SQLite's INTEGER.
 */
const MAX_PER_REPORT = 1_000_000;
const countOf = (x: unknown): number =>
  typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= MAX_PER_REPORT ? x : 0;

/**
 * The `stat` fields worth keeping (PROTOCOL.TXT §4, plus the sx1302 forwarder's `temp`): position,
 * packet counts, ACK ratio. Everything else in a stat object, and any field that is not a finite
 * number, is dropped: a hostile forwarder's 60 KB stat must not reach the table, the status or the
 * snapshot written to the SD card every minute.
 */
export const STAT_FIELDS = [
  'rxnb',
  'rxok',
  'rxfw',
  'ackr',
  'dwnb',
  'txnb',
  'lati',
  'long',
  'alti',
  'temp',
] as const;

/** At most this many forwarders keep a `gwmp_stats` row (the most recently heard). */
export const MAX_STAT_ROWS = 32;
/** A forwarder silent this long loses its row. */
export const STAT_RETENTION_MS = 7 * 24 * 3600_000;

export function numericStat(stat: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of STAT_FIELDS) {
    const v = stat[k];
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  }
  return out;
}

/**
 * LoRaWAN device counters and packet forwarder statistics in SQLite (tables `lora_state` and
 * `gwmp_stats`). The FCnt lives in a cache in front of the table because every uplink reads it;
 * the write goes straight to SQLite so an accepted counter survives a crash (replay protection).
 */
export class LoraStateStore implements FcntStore {
  /** null remembers "no row", so an unknown device does not cost a query per frame. */
  private readonly cache = new Map<string, number | null>();
  private readonly getFcnt: Statement<[string], { fcnt: number }>;
  private readonly putFcnt: Statement<[string, number, number]>;
  private readonly putStat: Statement<[string, number, number, string, number]>;
  private readonly allStats: Statement<[number], StatRow>;
  private readonly pruneStats: Statement<[number, number]>;
  private readonly recordStatTxn: (gatewayEui: string, stat: Record<string, number>, ts: number) => void;
  /** With a group-commit writer: FCnts waiting to be written inside its next transaction. */
  private readonly dirty = new Map<string, { fcnt: number; ts: number }>();

  /**
   * `groupCommit`: instead of one commit per uplink, each new FCnt is written inside the store
   * writer's next transaction, together with the reading it belongs to (the writer calls
   * `writeDirty` in it; `requestFlush` makes sure one comes). A crash then loses a frame's FCnt
   * and its reading together, so replay protection never refuses a frame that was not stored.
   */
  constructor(
    db: Db,
    private readonly groupCommit?: { requestFlush(): void },
  ) {
    try {
      this.getFcnt = db.prepare('SELECT fcnt FROM lora_state WHERE dev_addr = ?');
      this.putFcnt = db.prepare(
        `INSERT INTO lora_state (dev_addr, fcnt, last_seen) VALUES (?, ?, ?)
         ON CONFLICT (dev_addr) DO UPDATE SET fcnt = excluded.fcnt, last_seen = excluded.last_seen`,
      );
      this.putStat = db.prepare(
        `INSERT INTO gwmp_stats (gateway_eui, rx_packets, tx_packets, last_stat, last_seen) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (gateway_eui) DO UPDATE SET
           rx_packets = rx_packets + excluded.rx_packets,
           tx_packets = tx_packets + excluded.tx_packets,
           last_stat = excluded.last_stat,
           last_seen = excluded.last_seen`,
      );
      // Newest first, then by EUI: rows from before the bound (or a slow prune) never flood the status.
      this.allStats = db.prepare(
        `SELECT * FROM (
           SELECT gateway_eui, rx_packets, tx_packets, last_stat, last_seen FROM gwmp_stats
           ORDER BY last_seen DESC LIMIT ?
         ) ORDER BY gateway_eui`,
      );
      this.pruneStats = db.prepare(
        `DELETE FROM gwmp_stats WHERE last_seen < ? OR gateway_eui NOT IN (
           SELECT gateway_eui FROM gwmp_stats ORDER BY last_seen DESC LIMIT ?
         )`,
      );
      this.recordStatTxn = db.transaction((eui: string, stat: Record<string, number>, ts: number) => {
        this.putStat.run(eui, countOf(stat.rxnb), countOf(stat.txnb), JSON.stringify(stat), ts);
        this.pruneStats.run(ts - STAT_RETENTION_MS, MAX_STAT_ROWS);
      });
    } catch (e) {
      throw toStorageError(e, 'cannot prepare lora state statements');
    }
  }

  /** DevAddr is compared in lowercase, as the uplink handler produces it. */
  get(devAddr: string): number | undefined {
    const key = devAddr.toLowerCase();
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached ?? undefined;
    let row: { fcnt: number } | undefined;
    try {
      row = this.getFcnt.get(key);
    } catch (e) {
      throw toStorageError(e, 'cannot read lora fcnt');
    }
    this.cache.set(key, row?.fcnt ?? null);
    return row?.fcnt;
  }

  /**
   * Throws StorageError when the write fails. The cache takes the new value first, so replay
   * protection holds for this process even while the disk refuses writes.
   */
  set(devAddr: string, fcnt: number, ts: number): void {
    const key = devAddr.toLowerCase();
    this.cache.set(key, fcnt);
    if (this.groupCommit) {
      this.dirty.set(key, { fcnt, ts });
      this.groupCommit.requestFlush();
      return;
    }
    try {
      this.putFcnt.run(key, fcnt, ts);
    } catch (e) {
      throw toStorageError(e, 'cannot store lora fcnt');
    }
  }

  /**
   * A new session under `devAddr` (an OTAA join): its counter starts again from nothing. The row
   * itself is deleted by the join's own transaction (lora-sessions.ts).
   */
  forget(devAddr: string): void {
    const key = devAddr.toLowerCase();
    this.cache.set(key, null);
    this.dirty.delete(key);
  }

  /**
   * Writes the FCnts set since the last successful commit; runs inside the group-commit
   * transaction. They stay pending until `committed`: a commit that fails (SQLITE_FULL comes at
   * COMMIT, after these rows) must not lose a counter whose reading is committed on the retry, or
   * a replay of that frame would be accepted after a restart.
   */
  writeDirty(): void {
    for (const [key, d] of this.dirty) this.putFcnt.run(key, d.fcnt, d.ts);
  }

  /** The transaction that ran `writeDirty` committed. Nothing runs in between (it is synchronous). */
  committed(): void {
    this.dirty.clear();
  }

  /**
   * Adds one forwarder `stat` report (GWMP PUSH_DATA) to the gateway's totals, keeping only its
   * numeric STAT_FIELDS, and in the same commit drops rows of forwarders long silent or beyond
   * MAX_STAT_ROWS, so the table stays bounded whatever arrives.
   */
  recordStat(gatewayEui: string, stat: Record<string, unknown>, ts: number): void {
    try {
      this.recordStatTxn(gatewayEui, numericStat(stat), ts);
    } catch (e) {
      throw toStorageError(e, 'cannot store gwmp stats');
    }
  }

  stats(): GatewayStats[] {
    let rows: StatRow[];
    try {
      rows = this.allStats.all(MAX_STAT_ROWS);
    } catch (e) {
      throw toStorageError(e, 'cannot read gwmp stats');
    }
    return rows.map((r) => ({
      gatewayEui: r.gateway_eui,
      rxPackets: r.rx_packets,
      txPackets: r.tx_packets,
      lastStat: r.last_stat === null ? null : parseStat(r.last_stat),
      lastSeen: r.last_seen,
    }));
  }
}

/** Re-filtered on the way out too: a row written before the bound may hold anything. */
function parseStat(text: string): Record<string, number> | null {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? numericStat(v as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
