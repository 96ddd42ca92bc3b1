import type { READING_TYPES } from '../domain/index.js';

/**
 * Seconds between frames a node of each type is expected to keep (heartbeats included): the
 * default of a node's `expect_every_s`. Not in schema.ts: the running gateway needs it and does not
 * load the config schema (bench/README.md, "Memory round 10").
 */
export const EXPECT_EVERY_S: Record<(typeof READING_TYPES)[number], number> = {
  hb: 300,
  pir: 300,
  seis: 300,
  beam: 300,
  cam: 600,
  fence: 300,
  gps: 900,
  btn: 3600,
};
