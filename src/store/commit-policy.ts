/**
 * When the group commit runs: the pure part of the writer, on an injected clock (ms).
 *
 * Nagle-style: what matters (evidence the engine scored, events, a sender waiting for its
 * PUBACK) is committed at once, on the next turn of the event loop, when no commit is pending;
 * whatever arrives before that commit runs joins it, and what arrives while a commit runs (the
 * rest of a serial read, the level event the evidence caused) joins the next one. Routine
 * readings (heartbeats, quiet sensor frames) wait up to `routineDelayMs` so that at low rates
 * many share one commit: every commit rewrites each page it touches into the WAL, and an SD card
 * wears by the byte (P9). `maxRows` bounds what a kill -9 can lose while frames stream in.
 */
export interface CommitTiming {
  maxRows: number;
  /** For node state that changed without a reading (offline, battery flags). */
  maxDelayMs: number;
  routineDelayMs: number;
}

/** `sync`: commit before returning (the batch is full); `due`: commit at that time (≤ now: next turn). */
export type CommitPlan = { kind: 'sync' } | { kind: 'due'; at: number } | { kind: 'unchanged' };

/** urgent: at once; soon: within maxDelayMs; routine: within routineDelayMs. */
export type Urgency = 'urgent' | 'soon' | 'routine';

export class CommitPolicy {
  /** When the pending commit must run; +∞ when nothing is pending. */
  private dueAt = Number.POSITIVE_INFINITY;

  constructor(private readonly timing: CommitTiming) {}

  /** The time the pending commit is due, +∞ when none is. */
  get due(): number {
    return this.dueAt;
  }

  /**
   * Something joined the pending batch, which now holds `rows` readings. Returns what the writer
   * must do: an earlier commit only ever moves forward, never back.
   */
  add(urgency: Urgency, rows: number, now: number): CommitPlan {
    if (rows >= this.timing.maxRows) return { kind: 'sync' };
    const at = now + this.delayOf(urgency);
    if (at >= this.dueAt) return { kind: 'unchanged' };
    this.dueAt = at;
    return { kind: 'due', at };
  }

  private delayOf(urgency: Urgency): number {
    if (urgency === 'urgent') return 0;
    return urgency === 'soon' ? this.timing.maxDelayMs : this.timing.routineDelayMs;
  }

  /** A commit ran (or was given up for a retry): what arrives from now on starts a new batch. */
  committed(): void {
    this.dueAt = Number.POSITIVE_INFINITY;
  }
}
