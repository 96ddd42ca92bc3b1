/** How a frame's sequence number relates to the last one accepted from the same node. */
export interface SeqVerdict {
  /**
   * - `first`: no earlier frame from this node is known; accept.
   * - `next`: exactly one after the last (4294967295 → 0 included); accept.
   * - `gap`: further ahead; accept and add `lost` to the node's lost counter.
   * - `reset`: the node restarted its counter; accept, count a reset, lose nothing.
   * - `duplicate`: the same or an older frame; drop and count.
   */
  kind: 'first' | 'next' | 'duplicate' | 'gap' | 'reset';
  /** Frames missing between the last one and this one; non-zero only for `gap`. */
  lost: number;
}

/** A backwards jump larger than this is a node restart, not a late frame (docs/wire.md §1). */
export const RESET_BACKWARD = 1000;
/** A backwards jump to a seq below this is a node restart: counters start at 0 after a boot. */
export const RESET_BELOW = 16;

/** Half the 32-bit seq space: a distance at or beyond it counts as backwards (RFC 1982 style). */
const HALF = 2 ** 31;

const FIRST: SeqVerdict = Object.freeze({ kind: 'first', lost: 0 });
const NEXT: SeqVerdict = Object.freeze({ kind: 'next', lost: 0 });
const DUPLICATE: SeqVerdict = Object.freeze({ kind: 'duplicate', lost: 0 });
const RESET: SeqVerdict = Object.freeze({ kind: 'reset', lost: 0 });

/**
 * Sequence policy of docs/wire.md §1 "Sequence numbers", pure. `last` is the last accepted seq of the
 * node (undefined if none); both are integers in 0..4294967295. Distances are taken mod 2^32, so
 * the counter's wrap is ordinary progress; a distance of 2^31 or more is read as a jump backwards.
 *
 * - same seq → `duplicate`;
 * - last + 1 → `next`;
 * - ahead by d (2 ≤ d < 2^31) → `gap` with `lost = d − 1`;
 * - behind by more than {@link RESET_BACKWARD}, or behind to a seq below {@link RESET_BELOW} → `reset`;
 * - behind by at most 1000 to a seq ≥ 16 → `duplicate` (see below).
 *
 * A small step back is a frame that arrives late (a radio bridge retry, a buffered repeater)
 * after newer ones were accepted. Treating it as a reset would rewind the stored seq, so the
 * node's next in-order frame would look like a gap and inflate `lost`; accepting it would feed
 * stale evidence to the detector as if it were new. So it is dropped as already passed. Its slot
 * stays counted in `lost` from the gap it left: a slight over-count, never a missed one.
 */
export function checkSeq(last: number | undefined, seq: number): SeqVerdict {
  if (last === undefined) return FIRST;
  // `>>> 0` reduces the exact integer difference mod 2^32 without float rounding.
  const ahead = (seq - last) >>> 0;
  if (ahead === 0) return DUPLICATE;
  if (ahead === 1) return NEXT;
  if (ahead < HALF) return { kind: 'gap', lost: ahead - 1 };
  const behind = 2 ** 32 - ahead;
  if (behind > RESET_BACKWARD || seq < RESET_BELOW) return RESET;
  return DUPLICATE;
}
