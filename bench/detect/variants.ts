import type { ConfigInput } from '../../src/config/schema.js';

/** A config to judge: its detection section (over the schema's defaults) and siren policy. */
export interface Variant {
  name: string;
  why: string;
  detection: NonNullable<ConfigInput['detection']>;
  siren_policy?: ConfigInput['siren_policy'];
}

/**
 * The detection defaults before issue 19's tuning (v0.1), in full. The engine's mechanics tests
 * are written against this table too (test/fixtures/detect.ts), so it lives in one place.
 */
export const BEFORE_TUNING = {
  window_s: 600,
  hold_s: 900,
  node_cap: 40,
  kind_cap: 0,
  min_conf: 0.6,
  seis_min_pgv: 0.3,
  thresholds: { waspada: 30, siaga: 60, awas: 100 },
  weights: {
    cam_elephant: 70,
    seis: 25,
    beam: 30,
    pir_per_detection: 10,
    pir_max_per_frame: 20,
    fence_low: 40,
    gps_inside: 80,
  },
  corroboration: { weight: 0 },
} as const satisfies Variant['detection'];

/**
 * The first tuned table (issue 19's first pass): every node scored on its own, geophones from
 * 0.4 mm/s. It missed 8 of 62 herds that left the park off the trails.
 */
export const FIRST_TUNING = {
  seis_min_pgv: 0.4,
  kind_cap: 0,
  corroboration: { weight: 0 },
} as const satisfies Variant['detection'];

/** The defaults (the schema's), the tables before them, and a more sensitive choice. */
export const VARIANTS: Variant[] = [
  { name: 'default', why: 'the schema defaults (tuned by this bench)', detection: {} },
  { name: 'v0.1', why: 'the defaults before issue 19', detection: BEFORE_TUNING },
  {
    name: 'no-agree',
    why: 'the first tuned table: no corroboration, no cap per kind, geophones from 0.4 mm/s',
    detection: FIRST_TUNING,
  },
  {
    name: 'sensitive',
    why: 'the defaults with thresholds 20/40/70: earlier warnings, more false ones',
    detection: { thresholds: { waspada: 20, siaga: 40, awas: 70 } },
  },
];
