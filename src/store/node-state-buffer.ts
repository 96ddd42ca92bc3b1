import type { Db } from './db.js';
import {
  NODE_STATE_MARK,
  type NodeState,
  NodeStateWrites,
  nodeStateMarker,
  nodeStatesWriter,
  nodeStateUnmarker,
} from './node-state.js';

/**
 * The writer's changed node states and when they reach their rows. A commit writes them when they
 * are due (NodeStateWrites: at most once a minute or every 5,000 readings, at once for what a
 * replay cannot rebuild) or forced; otherwise they are left to a replay of the readings after the
 * mark (loadNodeStates), and a timer writes them once due if no commit comes first. The mark is
 * written only when the rows fall behind and deleted when they catch up (no mark: the rows are
 * complete), twice a minute on a quiet night rather than with every commit: a meta page per
 * commit was ~130 B/reading on the SD card (P9).
 */
export class NodeStateBuffer {
  private dirty = new Map<string, NodeState>();
  private readonly writes: NodeStateWrites;
  /** The next commit writes the rows whatever NodeStateWrites says (a touchNode, close). */
  private forced = false;
  /** Whether the commit being run writes the rows (decided just before it). */
  private writeNow = false;
  /** Rowid of the newest reading committed: what the rows hold when a commit starts deferring. */
  private lastRid: number;
  /** Rowid of the newest reading the rows hold: the readings after it are what a start replays. */
  private writtenRid: number;
  /** Whether meta holds the mark (the rows are behind the readings). */
  private marked: boolean;
  private timer: NodeJS.Timeout | undefined;
  private readonly writeRows: (states: NodeState[]) => void;
  private readonly setMark: (rid: number) => void;
  private readonly deleteMark: () => void;

  /** `onDue` commits the deferred states (the writer's flush); it runs after `force()`. */
  constructor(
    db: Db,
    every: { ms: number; readings: number },
    private readonly now: () => number,
    private readonly onDue: () => void,
  ) {
    this.writes = new NodeStateWrites(every.ms, every.readings);
    this.writeRows = nodeStatesWriter(db);
    this.setMark = nodeStateMarker(db);
    this.deleteMark = nodeStateUnmarker(db);
    this.lastRid = db.prepare('SELECT coalesce(max(rid), 0) FROM readings').pluck().get() as number;
    // A mark left by a start that could not write the replayed states back stays until the rows are.
    const mark = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(NODE_STATE_MARK) as
      | string
      | undefined;
    this.marked = mark !== undefined;
    this.writtenRid = mark === undefined ? this.lastRid : Number(mark);
  }

  get size(): number {
    return this.dirty.size;
  }

  set(state: NodeState): void {
    this.dirty.set(state.node, state);
  }

  /** The next commit writes the rows (a change that came without a reading, or a stop). */
  force(): void {
    this.forced = true;
  }

  /** States wait for a commit that must write them (not ones deferred for the replay). */
  owed(): boolean {
    return this.dirty.size > 0 && (this.forced || this.timer === undefined);
  }

  /** Just before a commit of `readings` readings: whether it writes the rows. */
  decide(readings: number, now: number): void {
    this.writeNow =
      this.dirty.size > 0 &&
      (this.forced ||
        readings === 0 ||
        this.writes.due(this.dirty.values(), now, this.lastRid - this.writtenRid + readings));
  }

  /** Inside the commit's transaction. */
  write(): void {
    if (this.writeNow) {
      this.writeRows([...this.dirty.values()]);
      if (this.marked) this.deleteMark();
    } else if (this.dirty.size > 0 && !this.marked) {
      // The rows hold every reading committed before this commit, none of this one's.
      this.setMark(this.lastRid);
    }
  }

  /** After the commit; `newestRid` is its newest reading's rowid, undefined if it had none. */
  committed(newestRid: number | undefined, now: number): void {
    if (newestRid !== undefined) this.lastRid = newestRid;
    if (this.writeNow) {
      this.writtenRid = this.lastRid;
      this.writes.wrote(this.dirty.values(), now);
      this.dirty = new Map();
      this.forced = false;
      this.marked = false;
    } else if (this.dirty.size > 0) {
      this.marked = true;
      this.writeLater();
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private writeLater(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.writes.nextAt() - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.dirty.size === 0) return;
      this.forced = true;
      this.onDue();
    }, wait);
    this.timer.unref?.();
  }
}
