/**
 * Every rate of the night simulator, with where it comes from. A park re-runs the bench with its
 * own numbers by writing a JSON file with only the keys it changes
 * (`npm run bench:detect -- --params ours.json`); the layout comes from a siaga config
 * (`--site ours.yaml`, nodes need lat/lon). Distances in metres, times in minutes unless named.
 *
 * Sources, in brief (the README's "How well it detects" has the longer discussion):
 * - [I19] issue 19 of this project, which fixed the ranges of the herd model.
 * - [SENS] the sensors' data sheets: a Panasonic EKMB-class PIR sees a large warm body to ~12 m;
 *   a 4.5 Hz geophone picks up an elephant's footfall to some tens of metres (elephant footfalls
 *   are strong seismic sources, studied by O'Connell-Rodwell et al.); an IR beam is cut by any leg.
 * - [CAM] camera traps with an on-board classifier miss some animals at night (IR, partial views):
 *   we assume 20 % of elephant passes give no usable label, the rest 0.6–0.98 confidence.
 * - [COL] GPS collars on lead females report a fix every 15–60 min to save battery [I19].
 * - [LOCAL] assumptions about a Way Kambas buffer village (cattle grazing at night, motorbikes on
 *   the village road, rain, children near the guard post): ours, stated so a park can replace them.
 * Where no published figure exists the value is a deliberate, stated guess: the bench measures
 * how the engine reacts to such a world, it does not claim the world is exactly so.
 */
export interface SimParams {
  /** Nights run per month; every figure per month is an average over `months`. */
  nights_per_month: number;
  /** Months simulated per mix (more: steadier false-alarm rates). */
  months: number;
  /** Local hours the night runs (the herds' active period) [LOCAL]. */
  night: { start_h: number; end_h: number };
  /** Simulation step for movement and sensors, seconds. */
  step_s: number;
  layout: {
    /** Compass bearing from the park towards the fields (Braja Harjosari: the park lies east). */
    bearing_deg: number;
    /** Distance of the park edge from the zone centre, towards the park (negative y). */
    park_edge_y: number;
    /** Where the fields begin, from the zone centre towards the village. */
    field_edge_y: number;
    /** The village road, behind the fields [LOCAL]. */
    road_y: number;
    /** Elephant trails crossing the park edge: lateral position and share of herds [LOCAL]. */
    trails: { x: number; share: number }[];
    /** A herd within this distance of a node of the zone is "there" (issue 19's D3: 500 m). */
    herd_near_m: number;
  };
  herd: {
    /** Herd size, uniform [I19]. */
    size: [number, number];
    /** Walking speed, km/h, uniform per herd [I19]. */
    speed_kmh: [number, number];
    /** Start: this far inside the park edge, uniform. */
    start_inside_m: [number, number];
    /** Start time after night start, hours, uniform (crop raids peak before 02:00) [LOCAL]. */
    start_after_h: [number, number];
    /** Walks between pauses, minutes; a pause (feeding, listening) has probability and length. */
    walk_min: [number, number];
    pause_p: number;
    pause_min: [number, number];
    /** Share of herds that enter the fields; the others turn back somewhere on the way [I19]. */
    enter_p: number;
    /** Herds that enter feed this long in the fields before leaving, minutes. */
    feed_min: [number, number];
    /** Spacing of elephants in single file on a trail, and sideways scatter (sd). */
    spacing_m: [number, number];
    scatter_m: number;
    /** Off-trail: herds that leave the park away from any trail, sideways spread [LOCAL]. */
    off_trail_p: number;
    off_trail_sd_m: number;
    /** Share of approaching herds whose lead female wears this zone's collar [COL, LOCAL]. */
    collared_p: number;
    /** Collar fix interval, minutes, uniform per herd, and fix error (sd, m) [COL]. */
    collar_fix_min: [number, number];
    collar_error_m: number;
  };
  sensors: {
    /** PIR: range and chance per step that an animal in range is counted [SENS]. */
    pir_range_m: number;
    pir_p: number;
    /** Geophone: pgv (mm/s) of one footfall at r0, falling as (r0/d)^k; a node reports above trigger [SENS]. */
    seis_p0: number;
    seis_r0_m: number;
    seis_k: number;
    seis_trigger_pgv: number;
    /** Log-normal scatter of a footfall's pgv (sd of ln). */
    seis_sigma: number;
    /** Chance per step that a still (feeding) elephant stamps hard enough. */
    seis_still_p: number;
    /** Quiet noise floor: median pgv and its sd of ln; on a dry night it never reaches trigger. */
    seis_floor_pgv: number;
    /** Beam: width covered across the trail, and the chance a crossing animal cuts it [SENS]. */
    beam_span_m: number;
    beam_p: number;
    /** Camera: range, trigger chance per step, re-trigger pause (s), classifier miss rate and confidence [CAM]. */
    cam_range_m: number;
    cam_p: number;
    cam_cooldown_s: number;
    cam_miss_p: number;
    cam_conf: [number, number];
    /** Fence: length guarded per node, chance a crossing herd breaks it, low voltage then (kV), report every (s). */
    fence_len_m: number;
    fence_break_p: number;
    fence_low_kv: [number, number];
    fence_ok_kv: number;
    fence_every_s: number;
  };
  noise: {
    /** Cattle/buffalo grazing at the edge: chance per night, group size, hours, speed km/h [LOCAL]. */
    cattle_p: number;
    cattle_size: [number, number];
    cattle_hours: [number, number];
    cattle_speed_kmh: number;
    /** A cow's footfall relative to an elephant's (mass ~400 kg vs ~3000 kg) [SENS, LOCAL]. */
    cattle_seis_factor: number;
    /** A camera's classifier calling a cow an elephant (low confidence) [CAM, assumption]. */
    cattle_as_elephant_p: number;
    /** Monkeys and wild boars at a PIR: events per PIR per night, frames per event [LOCAL]. */
    small_per_pir_night: number;
    small_frames: [number, number];
    /** Motorbikes passing on the village road per night, and their pgv at 10 m [LOCAL]. */
    motorbikes_per_night: number;
    motorbike_pgv: [number, number];
    /** Rain: chance per night, hours, median pgv of the raised floor, frames per geophone per minute [LOCAL]. */
    rain_p: number;
    rain_hours: [number, number];
    rain_floor_pgv: number;
    rain_rate_per_min: number;
    /** A PIR that fails and fires every minute: chance per month, days until repaired [LOCAL]. */
    pir_fail_p_month: number;
    pir_fail_days: [number, number];
    /** A branch on the fence: per fence node per night [LOCAL]. */
    branch_per_fence_night: number;
    /** A child pressing the panic button: per button per month, and chance a guard cancels it [LOCAL]. */
    child_press_per_month: number;
    child_cancel_p: number;
  };
}

export const DEFAULT_PARAMS: SimParams = {
  nights_per_month: 30,
  months: 12,
  night: { start_h: 18, end_h: 6 },
  step_s: 10,
  layout: {
    bearing_deg: 270,
    park_edge_y: -350,
    field_edge_y: 250,
    road_y: 400,
    trails: [
      { x: -200, share: 0.5 },
      { x: 250, share: 0.3 },
    ],
    herd_near_m: 500,
  },
  herd: {
    size: [2, 15],
    speed_kmh: [0.5, 2],
    start_inside_m: [300, 1500],
    start_after_h: [1, 8],
    walk_min: [5, 20],
    pause_p: 0.35,
    pause_min: [5, 30],
    enter_p: 0.6,
    feed_min: [30, 120],
    spacing_m: [3, 8],
    scatter_m: 6,
    off_trail_p: 0.15,
    off_trail_sd_m: 150,
    collared_p: 0.25,
    collar_fix_min: [15, 60],
    collar_error_m: 15,
  },
  sensors: {
    pir_range_m: 12,
    pir_p: 0.7,
    seis_p0: 1.6,
    seis_r0_m: 10,
    seis_k: 1.3,
    seis_trigger_pgv: 0.2,
    seis_sigma: 0.4,
    seis_still_p: 0.15,
    seis_floor_pgv: 0.04,
    beam_span_m: 20,
    beam_p: 0.97,
    cam_range_m: 20,
    cam_p: 0.8,
    cam_cooldown_s: 60,
    cam_miss_p: 0.2,
    cam_conf: [0.6, 0.98],
    fence_len_m: 300,
    fence_break_p: 0.5,
    fence_low_kv: [0.3, 2.5],
    fence_ok_kv: 7.5,
    fence_every_s: 300,
  },
  noise: {
    cattle_p: 0.3,
    cattle_size: [2, 8],
    cattle_hours: [1, 4],
    cattle_speed_kmh: 0.3,
    cattle_seis_factor: 0.35,
    cattle_as_elephant_p: 0.03,
    small_per_pir_night: 2,
    small_frames: [1, 4],
    motorbikes_per_night: 15,
    motorbike_pgv: [0.3, 1.2],
    rain_p: 0.15,
    rain_hours: [1, 5],
    rain_floor_pgv: 0.25,
    rain_rate_per_min: 0.5,
    pir_fail_p_month: 0.3,
    pir_fail_days: [1, 5],
    branch_per_fence_night: 0.05,
    child_press_per_month: 0.5,
    child_cancel_p: 0.6,
  },
};

/** A scenario mix: how often herds come and how noisy the nights are (multipliers on the params). */
export interface Mix {
  name: string;
  description: string;
  /** Chance per night that a herd approaches this zone. */
  herd_p: number;
  /** Overrides of `noise`, merged over the params. */
  noise?: Partial<SimParams['noise']>;
}

export const MIXES: Mix[] = [
  {
    name: 'standard',
    description: 'dry season: a herd on a third of the nights, cattle, monkeys, motorbikes, some rain',
    herd_p: 0.33,
  },
  {
    name: 'wet',
    description: 'rainy season: fewer herds, rain on most nights (geophone floor up)',
    herd_p: 0.15,
    noise: { rain_p: 0.6 },
  },
  {
    name: 'noisy',
    description: 'a bad month: cattle every other night, a failing PIR, twice the motorbikes and branches',
    herd_p: 0.33,
    noise: { cattle_p: 0.5, pir_fail_p_month: 1, motorbikes_per_night: 30, branch_per_fence_night: 0.1 },
  },
];

type Json = Record<string, unknown>;

/** `over` merged into `base` key by key (arrays and numbers replace); unknown keys are refused. */
export function mergeParams<T>(base: T, over: unknown, path = 'params'): T {
  if (over === undefined) return base;
  if (typeof over !== 'object' || over === null || Array.isArray(over) || typeof base !== 'object')
    throw new Error(`${path}: expected an object`);
  const out: Json = { ...(base as Json) };
  for (const [k, v] of Object.entries(over as Json)) {
    if (!(k in out)) throw new Error(`${path}.${k}: unknown parameter (see bench/detect/params.ts)`);
    const b = out[k];
    if (typeof b === 'object' && b !== null && !Array.isArray(b)) out[k] = mergeParams(b, v, `${path}.${k}`);
    else {
      if (typeof v !== typeof b || Array.isArray(v) !== Array.isArray(b))
        throw new Error(`${path}.${k}: expected ${Array.isArray(b) ? 'an array' : typeof b}`);
      out[k] = v;
    }
  }
  return out as T;
}
