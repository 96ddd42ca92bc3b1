import type { Evidence } from './evidence.js';

/**
 * Evidence that comes from outside this gateway's nodes: a neighbouring village's gateway at SIAGA
 * or AWAS (src/neighbours turns its level event into this). Pure data.
 */
export interface ExternalEvidence {
  /** `<gateway>/<their zone>`: a newer event of the same source replaces this one; an all-clear withdraws it. */
  source: string;
  /** Points it adds (the neighbour's `weight`), before the zone's neighbour cap. */
  weight: number;
  /** When the neighbour raised its level (epoch ms; clamped to our clock). */
  ts: number;
  /** For our level event's reason, e.g. "gw-braja-02 AWAS 1.2 km west". */
  text: string;
}

/**
 * The window's bucket that pools every neighbour's evidence of a zone, so that all of them
 * together are capped. Not a valid node id (ids are `[a-z0-9-]`), so it cannot collide with one.
 */
export const NEIGHBOUR_KEY = '@neighbours';

export function neighbourEvidence(ev: ExternalEvidence, ts: number): Evidence {
  return {
    node: NEIGHBOUR_KEY,
    type: 'neighbour',
    score: ev.weight,
    ts,
    strong: false,
    text: ev.text,
    count: 1,
    source: ev.source,
  };
}

/** The neighbour gateway of a source (`gw-braja-02/z-edge` → `gw-braja-02`). */
export const sourceGateway = (source: string): string => source.split('/')[0] ?? source;
