import type { Geometry, Point } from './geometry.js';
import type { SimParams } from './params.js';
import type { Rng } from './rng.js';

/**
 * Animals that move: an elephant herd's night (out of the park along a trail, pausing, turning
 * back or entering the fields and leaving again) and cattle grazing at the edge. Each is a track:
 * where every animal is at every simulation step, and whether it is walking (footfalls) or still.
 */

export interface Track {
  kind: 'elephant' | 'cattle';
  /** Time of step 0, epoch ms, and step length. */
  t0: number;
  stepMs: number;
  /** Per step: the animals' positions (flat x,y pairs) and whether the group walks. */
  pos: Float64Array[];
  walking: boolean[];
}

export interface Herd {
  track: Track;
  size: number;
  /** When the first elephant crossed the field edge (epoch ms); undefined when the herd turned back. */
  fieldAt: number | undefined;
  /** Left the park away from the trails: it may pass between the sensors. */
  offTrail: boolean;
  collared: boolean;
  collarFixMs: number;
  /** Where the herd waits before it sets off and after it is back (the collar's fixes then). */
  home: Point;
}

const KMH = 1000 / 3600;

/** Positions of `n` animals around a lead point: single file behind it (against `dir`), scattered sideways. */
function place(lead: Point, dir: number, offsets: { back: number; side: number }[]): Float64Array {
  const out = new Float64Array(offsets.length * 2);
  offsets.forEach((o, i) => {
    out[2 * i] = lead.x + o.side;
    out[2 * i + 1] = lead.y - dir * o.back;
  });
  return out;
}

/** One herd's approach, from `nightStart` to `nightEnd` (epoch ms). */
export function herdNight(rng: Rng, p: SimParams, g: Geometry, nightStart: number, nightEnd: number): Herd {
  const h = p.herd;
  const stepMs = p.step_s * 1000;
  const size = rng.int(h.size);
  const speed = rng.uniform(h.speed_kmh) * KMH * p.step_s; // metres per step
  const offTrail = rng.chance(h.off_trail_p);
  const x = offTrail ? rng.normal(h.off_trail_sd_m) : rng.pick(g.layout.trails, (t) => t.share).x;
  const y0 = g.layout.park_edge_y - rng.uniform(h.start_inside_m);
  const enters = rng.chance(h.enter_p);
  const turnY = enters
    ? g.layout.field_edge_y + rng.uniform([30, 150])
    : rng.uniform([g.layout.park_edge_y - 200, g.layout.field_edge_y - 30]);
  let back = 0;
  const offsets = Array.from({ length: size }, (_, i) => {
    if (i > 0) back += rng.uniform(h.spacing_m);
    return { back, side: rng.normal(h.scatter_m) };
  });
  const start = nightStart + rng.uniform(h.start_after_h) * 3_600_000;
  const steps = Math.max(1, Math.floor((nightEnd - start) / stepMs));
  const track: Track = { kind: 'elephant', t0: start, stepMs, pos: [], walking: [] };
  let y = y0;
  let dir = 1;
  let phase: 'out' | 'feed' | 'home' = 'out';
  let left = Math.round((rng.uniform(h.walk_min) * 60) / p.step_s);
  let paused = 0;
  let feed = Math.round((rng.uniform(h.feed_min) * 60) / p.step_s);
  let fieldAt: number | undefined;
  let xNow = x;
  for (let i = 0; i < steps; i++) {
    let walking = false;
    if (paused > 0) paused--;
    else if (phase === 'feed') {
      // Feeding: a slow drift through the crop, still most of the time.
      xNow += rng.normal(1);
      y += rng.normal(1);
      walking = rng.chance(0.3);
      if (--feed <= 0) phase = 'home';
    } else if (phase === 'out' || phase === 'home') {
      const target = phase === 'out' ? turnY : y0;
      dir = target > y ? 1 : -1;
      y += dir * Math.min(speed, Math.abs(target - y));
      walking = true;
      if (Math.abs(target - y) < 1e-6) {
        if (phase === 'out') phase = enters ? 'feed' : 'home';
        else phase = 'feed'; // home: stays there, browsing
      }
      if (--left <= 0) {
        left = Math.round((rng.uniform(h.walk_min) * 60) / p.step_s);
        if (rng.chance(h.pause_p)) paused = Math.round((rng.uniform(h.pause_min) * 60) / p.step_s);
      }
    }
    if (phase === 'feed' && y < g.layout.park_edge_y - 100) feed = Number.POSITIVE_INFINITY; // back in the forest
    const lead = { x: xNow, y };
    const pos = place(lead, dir, offsets);
    if (fieldAt === undefined && y >= g.layout.field_edge_y) fieldAt = start + i * stepMs;
    track.pos.push(pos);
    track.walking.push(walking);
  }
  return {
    track,
    size,
    fieldAt,
    offTrail,
    collared: rng.chance(h.collared_p),
    collarFixMs: rng.uniform(h.collar_fix_min) * 60_000,
    home: { x, y: y0 },
  };
}

/** Cattle or buffalo let out to graze at the park edge for a few hours. */
export function cattleNight(
  rng: Rng,
  p: SimParams,
  g: Geometry,
  nightStart: number,
  nightEnd: number,
): Track {
  const n = p.noise;
  const stepMs = p.step_s * 1000;
  const size = rng.int(n.cattle_size);
  const hours = rng.uniform(n.cattle_hours);
  const start =
    nightStart + rng.uniform([0, Math.max(0, (nightEnd - nightStart) / 3_600_000 - hours)]) * 3_600_000;
  const steps = Math.floor((hours * 3_600_000) / stepMs);
  const xs = g.sensors.map((s) => s.x);
  const span = Math.max(200, ...xs.map(Math.abs)) + 50;
  let x = rng.uniform([-span, span]);
  let y = rng.uniform([g.layout.park_edge_y, g.layout.field_edge_y + 50]);
  let heading = rng.uniform([0, 2 * Math.PI]);
  const step = n.cattle_speed_kmh * KMH * p.step_s;
  const offsets = Array.from({ length: size }, () => ({ x: rng.normal(12), y: rng.normal(12) }));
  const track: Track = { kind: 'cattle', t0: start, stepMs, pos: [], walking: [] };
  for (let i = 0; i < steps && start + i * stepMs < nightEnd; i++) {
    heading += rng.normal(0.3);
    x += Math.cos(heading) * step;
    y = Math.min(
      g.layout.field_edge_y + 80,
      Math.max(g.layout.park_edge_y - 50, y + Math.sin(heading) * step),
    );
    const pos = new Float64Array(size * 2);
    offsets.forEach((o, k) => {
      pos[2 * k] = x + o.x;
      pos[2 * k + 1] = y + o.y;
    });
    track.pos.push(pos);
    track.walking.push(rng.chance(0.6));
  }
  return track;
}

/** Step index of `t` in a track, or -1 outside it. */
export function stepAt(track: Track, t: number): number {
  const i = Math.floor((t - track.t0) / track.stepMs);
  return i >= 0 && i < track.pos.length ? i : -1;
}
