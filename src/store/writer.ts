import type { GatewayEvent, Reading } from '../domain/index.js';
import { CommitPolicy, type Urgency } from './commit-policy.js';
import { toStorageError } from './db.js';
import { HeldReadings } from './held-readings.js';
import type { NodeState } from './node-state.js';
import { NodeStateBuffer } from './node-state-buffer.js';
import { SpanWriter } from './reading-spans.js';
import { readingsWriter } from './readings.js';
import type { CommitInfo, WriterDeps } from './writer-types.js';

export type { CommitInfo, CommitParticipant, WriterDeps, WriterOptions } from './writer-types.js';

/** `isPending` is asked right after `addReading`: the reading is the newest unless committed. */
const PENDING_LOOKBACK = 4;
const DEFAULT_NODE_STATE_EVERY_MS = 60_000;
const DEFAULT_NODE_STATE_EVERY_READINGS = 5_000;

/**
 * Group commit: readings, events, their outbox rows and the nodes' sequence state go to SQLite in
 * one transaction, flushed on N rows, at once for what matters, or after the routine delay
 * (commit-policy.ts); node state that a replay of the readings can rebuild is rewritten at most
 * once a minute or every 5,000 readings (NodeStateWrites). A reading counts as received only once
 * that transaction committed. When the disk is full or read-only the batch stays in memory and the
 * commit is retried; readings beyond the memory bound are dropped oldest first and counted,
 * events never.
 */
export class StoreWriter {
  private readings: Reading[] = [];
  private events: GatewayEvent[] = [];
  private readonly nodes: NodeStateBuffer;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private readonly policy: CommitPolicy;
  private readonly now: () => number;
  /** A participant has state to write even if no reading is pending. */
  private extra = false;
  /** Ids of pending events the uplink already delivered live while the disk refused writes. */
  private readonly deliveredLive = new Set<string>();
  /**
   * Ids of pending readings the centre acknowledged before their commit: stored, never queued. A
   * new set after a commit that used it, never cleared in place (src/util/fresh.ts says why).
   */
  private deliveredReadings = new Set<string>();
  private firstRid = 0;
  private failing = false;
  private closed = false;
  private readonly txn: () => void;
  private readonly held: HeldReadings;
  private readonly spans: SpanWriter;
  /** Readings and events still uncommitted when the writer closed (SIGTERM on a full disk): lost. */
  lostAtClose = { readings: 0, events: 0 };
  private readonly commitListeners = new Set<(info: CommitInfo) => void>();
  /** Callers waiting for the commit of what is pending now (the local broker's PUBACK). */
  private waiters: ((committed: boolean) => void)[] = [];
  committedReadings = 0;
  lastError: string | undefined;

  constructor(private readonly deps: WriterDeps) {
    const { db, options } = deps;
    this.policy = new CommitPolicy({
      maxRows: options.maxRows,
      maxDelayMs: options.maxDelayMs,
      routineDelayMs: options.routineDelayMs ?? options.maxDelayMs,
    });
    this.now = deps.now ?? (() => performance.now());
    this.held = new HeldReadings(deps.log, options);
    const insEvent = db.prepare('INSERT INTO events (id, ts, kind, fields) VALUES (?, ?, ?, ?)');
    const queueEvent = db.prepare('INSERT INTO outbox_events (eid) VALUES (?)');
    const writeReadings = readingsWriter(db);
    this.spans = new SpanWriter(db);
    this.nodes = new NodeStateBuffer(
      db,
      {
        ms: options.nodeStateEveryMs ?? DEFAULT_NODE_STATE_EVERY_MS,
        readings: options.nodeStateEveryReadings ?? DEFAULT_NODE_STATE_EVERY_READINGS,
      },
      this.now,
      () => {
        if (!this.closed) this.flush();
      },
    );
    this.txn = db.transaction(() => {
      for (const e of this.events) {
        const { lastInsertRowid } = insEvent.run(e.id, e.ts, e.kind, JSON.stringify(e.fields));
        // Sent live (and PUBACKed) while the disk was full: stored, but not queued a second time.
        if (!this.deliveredLive.has(e.id)) queueEvent.run(lastInsertRowid);
      }
      this.firstRid = writeReadings(this.readings, this.deliveredReadings);
      this.spans.write(this.readings, this.firstRid);
      this.nodes.write();
      for (const p of deps.participants ?? []) p.writeDirty();
    });
  }

  get pending(): number {
    return this.readings.length + this.events.length;
  }

  get storageFailing(): boolean {
    return this.failing;
  }

  /** Readings held only in memory because the disk refuses writes: a kill or power cut loses them. */
  get heldWhileFailing(): number {
    return this.failing ? this.readings.length : 0;
  }

  /** Readings dropped because the disk refused writes for too long. */
  get droppedWhileFailing(): number {
    return this.held.dropped;
  }

  /** Estimated bytes of the readings held in memory while the disk refuses writes (0 otherwise). */
  get heldBytes(): number {
    return this.held.bytes;
  }

  /** Called after every successful commit (several listeners, unlike `onCommit`). */
  onCommitted(listener: (info: CommitInfo) => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  /**
   * Expedites a commit of everything pending now and resolves when it is done: true once it is
   * in SQLite, false when the disk refused it (it stays in memory, retried, counted in
   * `heldWhileFailing`). Whoever acknowledges to a sender (the local broker's PUBACK) waits here.
   */
  committed(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.failing) return Promise.resolve(false);
    if (this.readings.length === 0 && this.events.length === 0 && !this.nodes.owed() && !this.extra) {
      return Promise.resolve(true);
    }
    const p = new Promise<boolean>((resolve) => this.waiters.push(resolve));
    this.schedule('urgent');
    return p;
  }

  addReading(r: Reading, node?: NodeState): void {
    this.readings.push(r);
    if (this.failing) {
      this.held.add(r);
      this.dropOldest();
    }
    if (node) this.nodes.set(node);
    this.schedule('routine');
  }

  /**
   * The uplink delivered a still-pending event live (the disk is full): when it is finally
   * committed it goes to the events table only, not to the outbox again.
   */
  markDeliveredLive(id: string): void {
    if (this.events.some((e) => e.id === id)) this.deliveredLive.add(id);
  }

  /**
   * Whether `r`, just added, still waits for its commit: a full batch commits inside `addReading`.
   * Looks only at the newest few, so an older reading may be answered false (never wrongly true).
   */
  isPending(r: Reading): boolean {
    const n = this.readings.length;
    for (let i = n - 1; i >= 0 && i >= n - PENDING_LOOKBACK; i--) if (this.readings[i] === r) return true;
    return false;
  }

  /**
   * The centre acknowledged these pending readings, sent live before their commit: when committed
   * they are stored but not queued for the uplink, so the centre gets each once.
   */
  markReadingsDelivered(ids: readonly string[]): void {
    for (const id of ids) this.deliveredReadings.add(id);
  }

  /** Another store has state waiting for the next commit. */
  requestFlush(): void {
    this.extra = true;
    this.schedule('routine');
  }

  /** The readings just added include evidence: commit them at once, not after the routine delay. */
  expedite(): void {
    if (this.readings.length > 0) this.schedule('urgent');
  }

  /** Events are rare and matter: they are committed at once, with whatever readings wait. */
  addEvent(e: GatewayEvent): void {
    this.events.push(e);
    this.schedule('urgent');
  }

  /** Node state changes that come without a reading (offline, battery flags). */
  touchNode(node: NodeState): void {
    this.touchNodes([node]);
  }

  /** `touchNode` for several (the states a start replayed but could not write back). */
  touchNodes(nodes: readonly NodeState[]): void {
    for (const node of nodes) this.nodes.set(node);
    this.nodes.force();
    this.schedule('soon');
  }

  /** Commits everything pending now. Returns false when the disk refused (data kept for retry). */
  flush(): boolean {
    this.cancelTimers();
    this.policy.committed();
    const nothing =
      this.readings.length === 0 && this.events.length === 0 && this.nodes.size === 0 && !this.extra;
    if (this.closed || nothing) return true;
    const now = this.now();
    this.nodes.decide(this.readings.length, now);
    try {
      this.txn();
      this.extra = false;
    } catch (e) {
      this.spans.rolledBack();
      this.onFailure(e);
      this.settle(false);
      return false;
    }
    this.spans.committed();
    for (const p of this.deps.participants ?? []) p.committed?.();
    const info: CommitInfo = { readings: this.readings, events: this.events, firstRid: this.firstRid };
    for (const e of info.events) this.deliveredLive.delete(e.id);
    // Every pending reading is committed now: no id in the set can still matter.
    if (this.deliveredReadings.size > 0) this.deliveredReadings = new Set();
    this.committedReadings += info.readings.length;
    this.readings = [];
    this.events = [];
    const n = info.readings.length;
    this.nodes.committed(n > 0 ? info.firstRid + n - 1 : undefined, now);
    this.held.clear();
    if (this.failing) {
      this.failing = false;
      this.lastError = undefined;
      this.deps.log.info('storage writes work again');
      this.deps.onStorageState?.(false);
    }
    this.settle(true);
    this.deps.onCommit?.(info);
    for (const l of this.commitListeners) l(info);
    return true;
  }

  /**
   * Commits what is pending. If the disk still refuses, what was held in memory is lost: it is
   * counted in `lostAtClose` and said in the log, never dropped silently.
   */
  close(): void {
    // Every deferred node state goes to its row, and the mark with it (NodeStateBuffer): no mark
    // left behind that an older siaga, not knowing it, would leave stale.
    this.nodes.force();
    const ok = this.flush();
    if (!ok && (this.readings.length > 0 || this.events.length > 0)) {
      this.lostAtClose = { readings: this.readings.length, events: this.events.length };
      this.deps.log.error(
        { ...this.lostAtClose, err: this.lastError, dropped_before: this.droppedWhileFailing },
        'storage still failing at shutdown: readings and events held in memory are lost',
      );
    }
    this.closed = true;
    this.cancelTimers();
    this.nodes.stop();
    this.settle(false);
  }

  private settle(committed: boolean): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(committed);
  }

  /** Readings dropped to the memory bound leave the delivered set with them. */
  private dropOldest(): void {
    for (const r of this.held.dropOldest(this.readings)) this.deliveredReadings.delete(r.id);
  }

  /** Asks the policy when what just arrived must be committed; an earlier pending commit stays. */
  private schedule(urgency: Urgency): void {
    if (this.closed) return;
    // While the disk refuses writes, only the retry timer may flush: new data must not turn
    // the back-off into a busy loop.
    if (this.failing) {
      if (!this.timer) this.retryLater();
      return;
    }
    const now = this.now();
    const plan = this.policy.add(urgency, this.readings.length, now);
    if (plan.kind === 'sync') {
      this.flush();
      return;
    }
    if (plan.kind === 'unchanged') return;
    this.cancelTimers();
    const run = () => {
      this.timer = undefined;
      this.immediate = undefined;
      this.flush();
    };
    // setImmediate, not setTimeout(0): runs after the I/O callbacks of this turn (the rest of a
    // serial read joins the commit) but without the timer phase's 1 ms floor.
    if (plan.at <= now) this.immediate = setImmediate(run);
    else this.timer = setTimeout(run, plan.at - now);
  }

  private cancelTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private retryLater(): void {
    this.cancelTimers();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.deps.options.retryMs ?? 2000);
  }

  private onFailure(e: unknown): void {
    const err = toStorageError(e, 'cannot commit readings');
    this.lastError = err.message;
    if (!this.failing) this.held.start(this.readings);
    this.dropOldest();
    if (!this.failing) {
      this.failing = true;
      this.deps.log.error(
        { err: err.message, code: err.sqliteCode },
        'storage write failed; keeping data in memory and retrying',
      );
      this.deps.onStorageState?.(true, err.message);
    }
    this.retryLater();
  }
}
