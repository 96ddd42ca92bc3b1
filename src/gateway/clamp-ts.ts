/** A node's timestamp further ahead of the gateway's clock than this is a broken node clock. */
export const MAX_FUTURE_MS = 86_400_000;

export interface TsInput {
  /** The node's own timestamp (epoch ms), already known to be after min_valid_time. */
  nodeTs: number;
  /** The gateway's time now. */
  now: number;
  /** Whether the gateway's clock is synced (after min_valid_time). */
  clockOk: boolean;
  /** The ts stored for this node's previous reading, if any. */
  previousTs: number | undefined;
  retentionMs: number;
}

export type TsVerdict = { ts: number; clamped: false } | { ts: number; clamped: 'future' | 'past' };

/**
 * Which time a reading is stored under. A node clock that jumps a day ahead would make its
 * readings outlive retention, and one that jumps back further than retention would get fresh
 * readings pruned the same night as "expired": both get the gateway's time instead, flagged.
 * An unsynced gateway clock cannot judge the future, so then only the jump back is checked.
 */
export function clampNodeTs(i: TsInput): TsVerdict {
  if (i.clockOk && i.nodeTs > i.now + MAX_FUTURE_MS) return { ts: i.now, clamped: 'future' };
  if (i.previousTs !== undefined && i.nodeTs < i.previousTs - i.retentionMs) {
    return { ts: i.now, clamped: 'past' };
  }
  return { ts: i.nodeTs, clamped: false };
}
