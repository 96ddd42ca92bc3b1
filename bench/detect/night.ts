import type { Reading, ReadingType, Values } from '../../src/domain/index.js';
import { dist, type Geometry, type Point, type SimNode, toLatLon } from './geometry.js';
import { cattleNight, type Herd, herdNight, stepAt, type Track } from './herds.js';
import type { SimParams } from './params.js';
import type { Rng } from './rng.js';

/**
 * One simulated night at a zone: the animals' tracks, what every sensor node would have sent
 * (readings in ts order, as the gateway stores them), and the truth the figures are judged on.
 */

export interface NightPlan {
  /** A herd approaches this night. */
  herd: boolean;
  cattle: boolean;
  rain: boolean;
  /** PIR nodes that are broken and fire every minute tonight (failing since `from`). */
  brokenPirs: { node: string; from: number }[];
  /** Panic presses by a child tonight: when, and when a guard cancels (if he does). */
  presses: { node: string; at: number; cancelAt?: number }[];
}

export interface Night {
  start: number;
  end: number;
  readings: Reading[];
  herd: Herd | undefined;
  /** Per herd step: some elephant within `herd_near_m` of a sensor node of the zone. */
  near: boolean[];
}

let ids = 0;

class Out {
  readonly readings: Reading[] = [];
  private seq = new Map<string, number>();
  add(node: string, type: ReadingType, ts: number, v: Values): void {
    const seq = (this.seq.get(node) ?? 0) + 1;
    this.seq.set(node, seq);
    this.readings.push({
      id: `sim-${++ids}`,
      node,
      seq,
      type,
      ts: Math.round(ts),
      via: 'lora',
      v,
      clockOk: true,
    });
  }
}

const lognormal = (rng: Rng, median: number, sigma: number) => median * Math.exp(rng.normal(sigma));

/** What each placed sensor makes of the animals of one track, step by step. */
function senseTrack(
  track: Track,
  g: Geometry,
  p: SimParams,
  rng: Rng,
  out: Out,
  fence: Map<string, number>,
): void {
  const s = p.sensors;
  const elephant = track.kind === 'elephant';
  const seisFactor = elephant ? 1 : p.noise.cattle_seis_factor;
  const camNext = new Map<string, number>();
  for (let i = 0; i < track.pos.length; i++) {
    const pos = track.pos[i] as Float64Array;
    const prev = i > 0 ? (track.pos[i - 1] as Float64Array) : pos;
    const t = track.t0 + i * track.stepMs;
    const walking = track.walking[i] === true;
    for (const node of g.sensors) {
      const ts = t + rng.uniform([0, track.stepMs]);
      switch (node.type) {
        case 'pir': {
          let n = 0;
          forEach(pos, (x, y) => {
            if (Math.hypot(x - node.x, y - node.y) <= s.pir_range_m && rng.chance(s.pir_p)) n++;
          });
          if (n > 0) out.add(node.id, 'pir', ts, { n: Math.min(n, 5) });
          break;
        }
        case 'seis': {
          let pgv = 0;
          forEach(pos, (x, y) => {
            if (!walking && !rng.chance(s.seis_still_p)) return;
            const d = Math.max(1, Math.hypot(x - node.x, y - node.y));
            const a =
              seisFactor * s.seis_p0 * (s.seis_r0_m / d) ** s.seis_k * Math.exp(rng.normal(s.seis_sigma));
            if (a > pgv) pgv = a;
          });
          pgv += lognormal(rng, s.seis_floor_pgv, 0.5);
          if (pgv >= s.seis_trigger_pgv)
            out.add(node.id, 'seis', ts, { pgv: round2(pgv), f: elephant ? 8 : 14 });
          break;
        }
        case 'beam': {
          let cut = false;
          forEach(pos, (x, y, k) => {
            const py = prev[2 * k + 1] as number;
            const crossed = (py - node.y) * (y - node.y) <= 0 && py !== y;
            if (crossed && Math.abs(x - node.x) <= s.beam_span_m / 2 && rng.chance(s.beam_p)) cut = true;
          });
          if (cut) {
            out.add(node.id, 'beam', ts, { cut: 1 });
            out.add(node.id, 'beam', ts + 5000, { cut: 0 });
          }
          break;
        }
        case 'cam': {
          if ((camNext.get(node.id) ?? 0) > t) break;
          let seen = false;
          forEach(pos, (x, y) => {
            if (Math.hypot(x - node.x, y - node.y) <= s.cam_range_m) seen = true;
          });
          if (!seen || !rng.chance(s.cam_p)) break;
          camNext.set(node.id, t + s.cam_cooldown_s * 1000);
          if (elephant) {
            if (rng.chance(s.cam_miss_p))
              out.add(node.id, 'cam', ts, { label: 'unknown', conf: round2(rng.uniform([0.2, 0.6])) });
            else out.add(node.id, 'cam', ts, { label: 'elephant', conf: round2(rng.uniform(s.cam_conf)) });
          } else if (rng.chance(p.noise.cattle_as_elephant_p)) {
            out.add(node.id, 'cam', ts, { label: 'elephant', conf: round2(rng.uniform([0.55, 0.75])) });
          } else out.add(node.id, 'cam', ts, { label: 'cow', conf: round2(rng.uniform([0.5, 0.95])) });
          break;
        }
        case 'fence': {
          if (!elephant || fence.has(node.id)) break;
          let crossed = false;
          forEach(pos, (x, y, k) => {
            const py = prev[2 * k + 1] as number;
            if ((py - node.y) * (y - node.y) <= 0 && py !== y && Math.abs(x - node.x) <= s.fence_len_m / 2)
              crossed = true;
          });
          if (crossed && rng.chance(s.fence_break_p)) fence.set(node.id, t);
          break;
        }
        default:
          break;
      }
    }
  }
}

function forEach(pos: Float64Array, f: (x: number, y: number, k: number) => void): void {
  for (let k = 0; k < pos.length / 2; k++) f(pos[2 * k] as number, pos[2 * k + 1] as number, k);
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Per step of the herd: is any elephant within `near` metres of a sensor node? */
function nearness(track: Track, nodes: readonly SimNode[], near: number): boolean[] {
  return track.pos.map((pos) => {
    for (let k = 0; k < pos.length / 2; k++) {
      const a: Point = { x: pos[2 * k] as number, y: pos[2 * k + 1] as number };
      if (nodes.some((n) => dist(a, n) <= near)) return true;
    }
    return false;
  });
}

export function simulateNight(rng: Rng, p: SimParams, g: Geometry, start: number, plan: NightPlan): Night {
  const end = start + ((24 + p.night.end_h - p.night.start_h) % 24) * 3_600_000;
  const out = new Out();
  const fenceLow = new Map<string, number>();
  const n = p.noise;
  let herd: Herd | undefined;
  if (plan.herd) {
    herd = herdNight(rng, p, g, start, end);
    senseTrack(herd.track, g, p, rng, out, fenceLow);
  }
  if (plan.cattle) senseTrack(cattleNight(rng, p, g, start, end), g, p, rng, out, fenceLow);
  const at = () => start + rng.next() * (end - start);
  for (const node of g.sensors) {
    if (node.type === 'pir') {
      // Monkeys and boars brushing past.
      for (let e = rng.poisson(n.small_per_pir_night); e > 0; e--) {
        const t0 = at();
        for (let f = rng.int(n.small_frames); f > 0; f--)
          out.add(node.id, 'pir', t0 + f * rng.uniform([5_000, 40_000]), { n: rng.int([1, 2]) });
      }
    }
    if (node.type === 'seis') {
      const d = Math.max(10, Math.abs(p.layout.road_y - node.y));
      for (let e = rng.poisson(n.motorbikes_per_night); e > 0; e--) {
        // Motorbikes ride mostly in the evening and before dawn.
        const t0 = rng.chance(0.7)
          ? start + rng.uniform([0, 5]) * 3_600_000
          : end - rng.uniform([0, 2]) * 3_600_000;
        const pgv = rng.uniform(n.motorbike_pgv) * (10 / d) ** p.sensors.seis_k;
        if (pgv < p.sensors.seis_trigger_pgv) continue;
        for (let f = rng.int([1, 3]); f > 0; f--)
          out.add(node.id, 'seis', t0 + f * 8_000, { pgv: round2(pgv * lognormal(rng, 1, 0.2)), f: 20 });
      }
    }
  }
  if (plan.rain) {
    const r0 = at();
    const r1 = Math.min(end, r0 + rng.uniform(n.rain_hours) * 3_600_000);
    for (const node of g.sensors.filter((s) => s.type === 'seis')) {
      for (let e = rng.poisson((n.rain_rate_per_min * (r1 - r0)) / 60_000); e > 0; e--) {
        const pgv = lognormal(rng, n.rain_floor_pgv, 0.5);
        if (pgv >= p.sensors.seis_trigger_pgv)
          out.add(node.id, 'seis', r0 + rng.next() * (r1 - r0), { pgv: round2(pgv), f: 30 });
      }
    }
  }
  for (const b of plan.brokenPirs)
    for (let t = Math.max(start, b.from); t < end; t += 60_000)
      out.add(b.node, 'pir', t, { n: rng.int([1, 3]) });
  for (const node of g.sensors.filter((s) => s.type === 'fence')) {
    if (!fenceLow.has(node.id) && rng.chance(n.branch_per_fence_night)) fenceLow.set(node.id, at());
    const low = fenceLow.get(node.id) ?? Number.POSITIVE_INFINITY;
    const lowKv = rng.uniform(p.sensors.fence_low_kv);
    for (
      let t = start + rng.next() * p.sensors.fence_every_s * 1000;
      t < end;
      t += p.sensors.fence_every_s * 1000
    )
      out.add(node.id, 'fence', t, {
        kv: round2(t >= low ? lowKv : p.sensors.fence_ok_kv + rng.normal(0.1)),
      });
  }
  for (const collar of g.collars) {
    // The collared female's fixes: with the herd when it is tonight's, else deep in the park.
    const fixMs = herd?.collared ? herd.collarFixMs : rng.uniform(p.herd.collar_fix_min) * 60_000;
    const far = { x: rng.normal(500), y: p.layout.park_edge_y - rng.uniform([2500, 8000]) };
    for (let t = start + rng.next() * fixMs; t < end; t += fixMs) {
      let where: Point = far;
      if (herd?.collared) {
        const i = stepAt(herd.track, t);
        const pos = i >= 0 ? herd.track.pos[i] : undefined;
        where = pos ? { x: pos[0] as number, y: pos[1] as number } : herd.home;
      }
      const e = p.herd.collar_error_m;
      const [lat, lon] = toLatLon(g, { x: where.x + rng.normal(e), y: where.y + rng.normal(e) });
      out.add(collar, 'gps', t, { lat: Math.round(lat * 1e6) / 1e6, lon: Math.round(lon * 1e6) / 1e6 });
    }
  }
  for (const press of plan.presses) {
    out.add(press.node, 'btn', press.at, { p: 1 });
    if (press.cancelAt !== undefined) out.add(press.node, 'btn', press.cancelAt, { p: 0 });
  }
  out.readings.sort((a, b) => a.ts - b.ts);
  return {
    start,
    end,
    readings: out.readings.filter((r) => r.ts >= start && r.ts < end),
    herd,
    near: herd ? nearness(herd.track, g.sensors, p.layout.herd_near_m) : [],
  };
}

/** Whether an elephant was within `herd_near_m` of the zone's nodes at `t`. */
export function herdNear(night: Night, t: number): boolean {
  if (night.herd === undefined) return false;
  const i = stepAt(night.herd.track, t);
  return i >= 0 && night.near[i] === true;
}
