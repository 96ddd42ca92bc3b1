import type { DetectionConfig, NodeConfig, ZoneConfig } from '../config/schema.js';
import type { Reading, ReadingType, Values } from '../domain/index.js';
import { haversineM } from './geo.js';
import type { Notice } from './types.js';

/**
 * What one reading says about elephants near its zone (docs/behaviour.md, Detection).
 * `score` counts towards the zone score while the evidence is inside the window.
 */
export interface Evidence {
  node: string;
  type: EvidenceType;
  /** Points this reading adds, before the per-node cap. Rounded to 1e-6. */
  score: number;
  /** Epoch ms (the reading's ts; the engine clamps it to its clock). */
  ts: number;
  /** cam, gps and btn count on their own: they are not subject to `node_cap`. */
  strong: boolean;
  /** Short human text, e.g. "cam-02 saw an elephant (conf 0.91)". */
  text: string;
  /** How many detections the reading stands for (pir `n`; 1 for everything else). */
  count: number;
  /** btn: `alarm` (p=1, straight to AWAS) or `cancel` (p=0, ends a manual alarm). */
  manual?: 'alarm' | 'cancel';
  /** Raised alongside the evidence (fence voltage dropped). */
  notice?: Notice;
  /** `neighbour` evidence: which neighbour gateway and zone said it (`gw-x/z-y`), for its withdrawal. */
  source?: string;
}

/** A reading's type, or `neighbour`: a neighbouring gateway's SIAGA/AWAS (src/neighbours). */
export type EvidenceType = ReadingType | 'neighbour';

const num = (v: Values, k: string): number | undefined => {
  const x = v[k];
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
};

/** Rounds to 1e-6 so that sums of scores are exact in the engine's integer micro-points. */
const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/** Number formatting for texts: at most `digits` decimals, no trailing zeros. */
export const fmt = (x: number, digits = 2): string => String(Number(x.toFixed(digits)));

function make(r: Reading, score: number, strong: boolean, text: string, count = 1): Evidence {
  return { node: r.node, type: r.type, score: round6(score), ts: r.ts, strong, text, count };
}

/**
 * Turns a reading into evidence with the score table of docs/behaviour.md (weights from `detection`).
 * Returns undefined for readings that say nothing about elephants: heartbeats, readings of another
 * type than the node's configured one, pir n=0, a restored
 * beam, a quiet geophone, a low-confidence or non-elephant/human camera label, a healthy fence, a
 * collar outside the zone (or a zone without `center`), and malformed values.
 * Pure: the engine decides windows, caps and levels.
 */
export function scoreReading(
  r: Reading,
  node: NodeConfig,
  zone: ZoneConfig,
  det: DetectionConfig,
): Evidence | undefined {
  // A node speaks only for its own sensor: a PIR cannot report a camera sighting or press a
  // panic button (a mis-flashed or spoofed node must not bypass node_cap).
  if (r.type !== node.type) return undefined;
  const w = det.weights;
  const v = r.v;
  const id = node.id;
  switch (r.type) {
    case 'cam': {
      const conf = num(v, 'conf');
      if (v.label === 'elephant') {
        if (conf === undefined || conf < det.min_conf) return undefined;
        const c = Math.min(1, conf);
        return make(r, w.cam_elephant * c, true, `${id} saw an elephant (conf ${fmt(c)})`);
      }
      if (v.label === 'human') {
        const what = conf === undefined ? '' : ` (conf ${fmt(conf)})`;
        return make(r, w.cam_human, true, `${id} saw a human${what}`);
      }
      return undefined;
    }
    case 'seis': {
      const pgv = num(v, 'pgv');
      if (pgv === undefined || pgv < det.seis_min_pgv) return undefined;
      return make(r, w.seis, false, `${id} footfall (pgv ${fmt(pgv)} mm/s)`);
    }
    case 'beam':
      return num(v, 'cut') === 1 ? make(r, w.beam, false, `${id} beam cut`) : undefined;
    case 'pir': {
      const n = num(v, 'n');
      if (n === undefined || n <= 0) return undefined;
      const score = Math.min(w.pir_per_detection * n, w.pir_max_per_frame);
      return make(r, score, false, `${id} motion ×${fmt(n)}`, n);
    }
    case 'fence': {
      const kv = num(v, 'kv');
      if (kv === undefined || kv >= det.fence_min_kv) return undefined;
      const ev = make(r, w.fence_low, false, `${id} fence low (${fmt(kv)} kV)`);
      ev.notice = { kind: 'fence_low', zone: zone.id, node: id, fields: { kv, min_kv: det.fence_min_kv } };
      return ev;
    }
    case 'gps': {
      const lat = num(v, 'lat');
      const lon = num(v, 'lon');
      if (lat === undefined || lon === undefined || zone.center === undefined) return undefined;
      const d = haversineM(zone.center, [lat, lon]);
      if (!(d <= zone.radius_m)) return undefined;
      return make(r, w.gps_inside, true, `${id} inside ${zone.id} (${Math.round(d)} m from centre)`);
    }
    case 'btn': {
      const p = num(v, 'p');
      if (p === 1) return { ...make(r, 0, true, `${id} panic button pressed`), manual: 'alarm' };
      if (p === 0) return { ...make(r, 0, true, `${id} alarm cancelled`), manual: 'cancel' };
      return undefined;
    }
    case 'hb':
      return undefined;
  }
}

/** True for a fence reading whose voltage is healthy again (re-arms the `fence_low` notice). */
export function isFenceOk(r: Reading, det: DetectionConfig): boolean {
  if (r.type !== 'fence') return false;
  const kv = num(r.v, 'kv');
  return kv !== undefined && kv >= det.fence_min_kv;
}
