import type { Logger } from 'pino';
import type { GatewayEvent, Reading } from '../domain/index.js';
import { type Db, toStorageError } from './db.js';
import { type NodeState, nodeStateWriter } from './node-state.js';

export interface WriterOptions {
  /** Flush as soon as this many readings wait. */
  maxRows: number;
  /** Evidence (a reading the detection engine scored) and events are committed within this. */
  maxDelayMs: number;
  /**
   * Routine readings (heartbeats, quiet sensor frames) may wait this long, so that at low rates
   * many share one commit: each commit rewrites every b-tree page it touches into the WAL, and an
   * SD card wears by the byte (P9). Default: maxDelayMs.
   */
  routineDelayMs?: number;
  /** While the disk refuses writes, keep at most this many readings in memory (events are always kept). */
  maxPendingWhileFailing?: number;
  /** How often to retry after a failed commit. */
  retryMs?: number;
}

export interface CommitInfo {
  readings: Reading[];
  events: GatewayEvent[];
}

export interface WriterDeps {
  db: Db;
  log: Logger;
  options: WriterOptions;
  onCommit?: (info: CommitInfo) => void;
  /** Called once when writes start failing and once when they work again. */
  onStorageState?: (failing: boolean, error?: string) => void;
  /** Other state written inside every commit (the LoRa FCnts), so it is durable with its readings. */
  participants?: CommitParticipant[];
}

/**
 * State written inside the group-commit transaction. `writeDirty` may run in a transaction that
 * then fails (a full disk fails at COMMIT, after every row was written); only `committed` says the
 * rows are durable, so a participant keeps them pending until then and writes them again.
 */
export interface CommitParticipant {
  writeDirty(): void;
  committed?(): void;
}

/**
 * Group commit: readings, events, their outbox rows and the nodes' sequence state go to SQLite in
 * one transaction, flushed on N rows or a few ms. A reading counts as received only once that
 * transaction committed. When the disk is full or read-only the batch stays in memory and the
 * commit is retried; readings beyond the memory bound are dropped oldest first and counted,
 * events never.
 */
export class StoreWriter {
  private readings: Reading[] = [];
  private events: GatewayEvent[] = [];
  private dirtyNodes = new Map<string, NodeState>();
  private timer: NodeJS.Timeout | undefined;
  /** When the pending timer fires (ms, performance.now()). */
  private timerDue = Number.POSITIVE_INFINITY;
  /** A participant has state to write even if no reading is pending. */
  private extra = false;
  /** Ids of pending events the uplink already delivered live while the disk refused writes. */
  private readonly deliveredLive = new Set<string>();
  private failing = false;
  private closed = false;
  private readonly txn: () => void;
  /** Readings dropped because the disk refused writes for too long. */
  droppedWhileFailing = 0;
  committedReadings = 0;
  lastError: string | undefined;

  constructor(private readonly deps: WriterDeps) {
    const { db } = deps;
    const insReading = db.prepare(
      'INSERT INTO readings (id, node, seq, type, ts, via, v, radio, clock_ok) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const insEvent = db.prepare('INSERT INTO events (id, ts, kind, fields) VALUES (?, ?, ?, ?)');
    const queueEvent = db.prepare('INSERT INTO outbox_events (eid) VALUES (?)');
    const queueReading = db.prepare('INSERT INTO outbox_readings (rid) VALUES (?)');
    const writeNode = nodeStateWriter(db);
    this.txn = db.transaction(() => {
      for (const e of this.events) {
        const { lastInsertRowid } = insEvent.run(e.id, e.ts, e.kind, JSON.stringify(e.fields));
        // Sent live (and PUBACKed) while the disk was full: stored, but not queued a second time.
        if (!this.deliveredLive.has(e.id)) queueEvent.run(lastInsertRowid);
      }
      for (const r of this.readings) {
        const { lastInsertRowid } = insReading.run(
          r.id,
          r.node,
          r.seq,
          r.type,
          r.ts,
          r.via,
          JSON.stringify(r.v),
          r.radio ? JSON.stringify(r.radio) : null,
          r.clockOk ? 1 : 0,
        );
        queueReading.run(lastInsertRowid);
      }
      for (const s of this.dirtyNodes.values()) writeNode(s);
      for (const p of deps.participants ?? []) p.writeDirty();
    });
  }

  get pending(): number {
    return this.readings.length + this.events.length;
  }

  get storageFailing(): boolean {
    return this.failing;
  }

  addReading(r: Reading, node?: NodeState): void {
    this.readings.push(r);
    if (node) this.dirtyNodes.set(node.node, node);
    if (this.readings.length >= this.deps.options.maxRows && !this.failing) this.flush();
    else this.schedule(this.deps.options.routineDelayMs ?? this.deps.options.maxDelayMs);
  }

  /**
   * The uplink delivered a still-pending event live (the disk is full): when it is finally
   * committed it goes to the events table only, not to the outbox again.
   */
  markDeliveredLive(id: string): void {
    if (this.events.some((e) => e.id === id)) this.deliveredLive.add(id);
  }

  /** Another store has state waiting for the next commit. */
  requestFlush(): void {
    this.extra = true;
    this.schedule(this.deps.options.routineDelayMs ?? this.deps.options.maxDelayMs);
  }

  /** The readings just added include evidence: commit them within maxDelayMs, not the routine delay. */
  expedite(): void {
    if (this.readings.length > 0) this.schedule(this.deps.options.maxDelayMs);
  }

  /** Events are rare and matter: they are flushed on the next turn of the event loop. */
  addEvent(e: GatewayEvent): void {
    this.events.push(e);
    this.schedule(0);
  }

  /** Node state changes that come without a reading (offline, battery flags). */
  touchNode(node: NodeState): void {
    this.dirtyNodes.set(node.node, node);
    this.schedule(this.deps.options.maxDelayMs);
  }

  /** Commits everything pending now. Returns false when the disk refused (data kept for retry). */
  flush(): boolean {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerDue = Number.POSITIVE_INFINITY;
    }
    const nothing =
      this.readings.length === 0 && this.events.length === 0 && this.dirtyNodes.size === 0 && !this.extra;
    if (this.closed || nothing) return true;
    try {
      this.txn();
      this.extra = false;
    } catch (e) {
      this.onFailure(e);
      return false;
    }
    for (const p of this.deps.participants ?? []) p.committed?.();
    const info: CommitInfo = { readings: this.readings, events: this.events };
    for (const e of info.events) this.deliveredLive.delete(e.id);
    this.committedReadings += info.readings.length;
    this.readings = [];
    this.events = [];
    this.dirtyNodes = new Map();
    if (this.failing) {
      this.failing = false;
      this.lastError = undefined;
      this.deps.log.info('storage writes work again');
      this.deps.onStorageState?.(false);
    }
    this.deps.onCommit?.(info);
    return true;
  }

  close(): void {
    this.flush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Makes sure a flush happens within `ms`; an earlier pending flush stays as it is. */
  private schedule(ms: number, retry = false): void {
    if (this.closed) return;
    // While the disk refuses writes, only the retry timer may flush: new data must not turn
    // the back-off into a busy loop.
    if (this.failing && !retry && this.timer) return;
    const due = performance.now() + ms;
    if (this.timer) {
      if (this.timerDue <= due) return;
      clearTimeout(this.timer);
    }
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Number.POSITIVE_INFINITY;
      this.flush();
    }, ms);
  }

  private onFailure(e: unknown): void {
    const err = toStorageError(e, 'cannot commit readings');
    this.lastError = err.message;
    const cap = this.deps.options.maxPendingWhileFailing ?? 200_000;
    if (this.readings.length > cap) {
      const drop = this.readings.length - cap;
      this.readings.splice(0, drop);
      this.droppedWhileFailing += drop;
    }
    if (!this.failing) {
      this.failing = true;
      this.deps.log.error(
        { err: err.message, code: err.sqliteCode },
        'storage write failed; keeping data in memory and retrying',
      );
      this.deps.onStorageState?.(true, err.message);
    }
    this.schedule(this.deps.options.retryMs ?? 2000, true);
  }
}
