import type { WorkerUplink } from './protocol.js';

/** The project's reconnect backoff (config defaults) and the naive fixed 1 s it is compared with. */
export const JITTERED = { min_ms: 1000, max_ms: 60_000 };
export const FIXED_1S = { min_ms: 1000, max_ms: 1000 };

/** A gateway's uplink settings in the bench: the config defaults, with the given backoff. */
export function uplinkFor(backoff: { min_ms: number; max_ms: number }): WorkerUplink {
  return {
    protocol_version: 4,
    keepalive_s: 60,
    batch: { max_readings: 200, max_delay_ms: 1000, max_bytes: 256 * 1024 },
    max_inflight: 4,
    live_readings: true,
    compress: 'none',
    stall_s: 60,
    backoff,
  };
}
