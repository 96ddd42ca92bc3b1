import type { EvidenceType } from './evidence.js';
import { type NodeBucket, toMicro } from './window.js';

/**
 * The cap per kind: all the nodes of one weak kind (PIRs, geophones, beams, fences) together
 * count at most `kind_cap`. Rain ticks on every geophone at once and a stuck PIR with monkeys at
 * the others is still motion: one kind of sensor, however many of its nodes fire, is one witness.
 * Returns the micro-points the zone's node sum holds above these caps (to take off it); 0 when
 * `kindCap` is 0 (no cap). Strong evidence (camera, collar, button) is never capped.
 */
export function overKindCap(buckets: Iterable<NodeBucket>, capMicro: number, kindCap: number): number {
  if (!(kindCap > 0)) return 0;
  const perKind = new Map<EvidenceType, number>();
  for (const b of buckets) {
    // A neighbour's pooled bucket has its own cap (below SIAGA) and is no sensor kind of ours.
    if (b.isStrong || b.ownCap !== undefined) continue;
    perKind.set(b.type, (perKind.get(b.type) ?? 0) + b.contribution(capMicro));
  }
  return excessOver(perKind.values(), toMicro(kindCap));
}

/** Σ max(0, sum − cap) over the kinds' sums: never negative, and it grows by at most what a sum grows. */
export function excessOver(sums: Iterable<number>, capMicro: number): number {
  let over = 0;
  for (const s of sums) if (s > capMicro) over += s - capMicro;
  return over;
}
