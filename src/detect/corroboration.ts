import type { EvidenceType } from './evidence.js';
import { type NodeBucket, toMicro } from './window.js';

/**
 * Corroboration: two different KINDS of sensor agreeing inside the window (a fence going low and
 * footfalls at a geophone, a beam and a camera, a collar and a fence). A herd crossing the park
 * edge sets off several kinds as it walks in; a branch on the fence or rain ticking on the
 * geophones each set off one. So when one kind is sure (a node of it has `lead_min` points) and
 * another kind, freshly firing, agrees, the zone earns `weight` × the agreeing kind's evidence, at
 * most `max`: one kind alone, however loud, earns nothing, and weak agreement earns little.
 */
export interface CorroborationRule {
  weight: number;
  max: number;
  /** The kinds that may agree (a kind left out never earns a bonus, nor gives one). */
  kinds: readonly EvidenceType[];
  /** A kind is sure when one of its nodes has this many points; only a sure kind is agreed with. */
  lead_min: number;
  /**
   * Seconds a node may have been firing without a break and still agree: longer, it is a standing
   * condition (a fence down since a branch fell, rain on a geophone), not a herd arriving.
   */
  fresh_s: number;
}

/** What one kind has in the window (micro-points after the node cap). */
export interface KindEvidence {
  kind: EvidenceType;
  /** Its strongest node. */
  strongest: number;
  /** Its strongest node that started firing within `fresh_s` (≤ strongest). */
  fresh: number;
}

/** What the agreement earns (micro-points) and between which kinds; `micro` is 0 when none agrees. */
export interface Corroboration {
  micro: number;
  /** The sure kind, then the kind that agrees with it; empty when micro is 0. */
  kinds: EvidenceType[];
}

const NONE: Corroboration = { micro: 0, kinds: [] };

/** Orders kinds by points, then by name, so ties give the same answer every time. */
const better = (a: number, ak: string, b: number, bk: string): boolean => a > b || (a === b && ak < bk);

/**
 * The bonus from each kind's evidence. Pure; never negative, 0 with fewer than two kinds, never
 * above `max`, and it never falls when a kind's evidence rises (a kind only becomes sure, and the
 * best fresh agreement only grows).
 */
export function corroborate(perKind: Iterable<KindEvidence>, rule: CorroborationRule): Corroboration {
  if (!(rule.weight > 0) || !(rule.max > 0)) return NONE;
  const sureAt = toMicro(rule.lead_min);
  const kinds = [...perKind].filter((k) => rule.kinds.includes(k.kind) && k.strongest > 0);
  const sure = kinds.filter((k) => k.strongest >= sureAt);
  const leadFor = (w: KindEvidence): KindEvidence | undefined => {
    let lead: KindEvidence | undefined;
    for (const k of sure)
      if (k.kind !== w.kind && (lead === undefined || better(k.strongest, k.kind, lead.strongest, lead.kind)))
        lead = k;
    return lead;
  };
  let best: { witness: KindEvidence; lead: KindEvidence } | undefined;
  for (const w of kinds) {
    if (w.fresh <= 0) continue;
    if (best !== undefined && !better(w.fresh, w.kind, best.witness.fresh, best.witness.kind)) continue;
    const lead = leadFor(w);
    if (lead !== undefined) best = { witness: w, lead };
  }
  if (best === undefined) return NONE;
  const micro = Math.min(Math.round(rule.weight * best.witness.fresh), toMicro(rule.max));
  return micro > 0 ? { micro, kinds: [best.lead.kind, best.witness.kind] } : NONE;
}

/**
 * Each kind's evidence in a zone's window at `now`: its strongest node, and its strongest node
 * that started firing within `freshS` seconds. One node per kind, so rain ticking on every
 * geophone speaks as one geophone, not three.
 */
export function evidenceByKind(
  buckets: Iterable<NodeBucket>,
  capMicro: number,
  now: number,
  freshS: number,
): KindEvidence[] {
  const out = new Map<EvidenceType, KindEvidence>();
  for (const b of buckets) {
    const micro = b.contribution(capMicro);
    const k = out.get(b.type) ?? { kind: b.type, strongest: 0, fresh: 0 };
    k.strongest = Math.max(k.strongest, micro);
    if (now - b.since <= freshS * 1000) k.fresh = Math.max(k.fresh, micro);
    out.set(b.type, k);
  }
  return [...out.values()];
}

const KIND_NOUN: Partial<Record<EvidenceType, string>> = {
  pir: 'motion',
  seis: 'footfalls',
  beam: 'beam cut',
  fence: 'fence low',
  cam: 'camera',
  gps: 'collar',
};

/** "fence low and footfalls agree (+20)": the line a reason gains when the bonus counts. */
export function corroborationText(c: Corroboration, points: number): string {
  const names = c.kinds.map((k) => KIND_NOUN[k] ?? k);
  return `${names.join(' and ')} agree (+${points})`;
}
