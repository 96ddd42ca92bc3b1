/**
 * When a readings batch goes to the centre (Nagle-style, pure). An idle link publishes what is
 * queued at once, even a single reading: a quiet gateway must not add a batch timer to a reading
 * that may be the first sign of a herd. Only while publishes are in flight do readings wait, and
 * then for whichever comes first: a full batch, a PUBACK (the caller pumps again on every one),
 * or `maxDelayMs` of waiting with a slot free. So a busy or backlogged link still sends full
 * batches (few messages, good deflate: P4, P5) and never has more than `maxInflight` in flight.
 */

export interface BatchPolicyInput {
  /** Units (batches, event groups) published and waiting for their PUBACKs. */
  inflight: number;
  /** Readings queued after the ones in flight, counted up to `maxReadings`. */
  queued: number;
  /** How long the queued readings have waited behind the in-flight ones, ms; 0 if they just came. */
  waitedMs: number;
  maxInflight: number;
  maxReadings: number;
  /** `uplink.batch.max_delay_ms`: the longest a partial batch waits behind publishes in flight. */
  maxDelayMs: number;
  /** The forwarder is stopping: whatever is queued goes now, slots permitting. */
  flushing: boolean;
}

export type BatchDecision =
  /** Nothing queued. */
  | { action: 'idle' }
  /** Publish a batch of up to `maxReadings` now. */
  | { action: 'send' }
  /** Keep waiting; with `retryMs`, pump again after that long even if no PUBACK came. */
  | { action: 'wait'; retryMs?: number };

export function batchDecision(p: BatchPolicyInput): BatchDecision {
  if (p.queued <= 0) return { action: 'idle' };
  // Every slot taken: the next PUBACK pumps again, no timer needed.
  if (p.inflight >= p.maxInflight) return { action: 'wait' };
  if (p.inflight === 0 || p.queued >= p.maxReadings || p.flushing) return { action: 'send' };
  const left = p.maxDelayMs - p.waitedMs;
  return left <= 0 ? { action: 'send' } : { action: 'wait', retryMs: left };
}
