/**
 * When a live batch waits a moment for company (pure). On a LAN the PUBACK comes back in well
 * under a millisecond, so with `batch-policy.ts` alone a gateway taking 1,000 frames/s published
 * almost every serial read as its own message of one to three readings, and paid MQTT.js, the
 * socket and the PUBACK once per message: the live path more than doubled the CPU per frame.
 *
 * So while readings arrive fast — measured: the mean gap between arrivals is under
 * `FAST_GAP_MS` — a batch with nothing in flight waits up to `HOLD_MS` for the next ones, and no
 * longer than that after its oldest reading began to wait: a villager's alarm is a millisecond
 * later, never more (a 2 ms hold measured the same CPU and twice the added median). A quiet gateway (a reading every few seconds, or a first reading after a quiet
 * spell) never holds: its reading goes at once, as before. A batch of `HOLD_FLOOR` readings goes
 * at once: the hold is for company, and that is enough of it.
 */

/** The longest a live batch waits for company, ms. */
export const HOLD_MS = 1;
/** Readings count as arriving fast when their mean gap is under this, ms (over 500 a second). */
export const FAST_GAP_MS = 2;
/** A batch this big goes without waiting (bounded by `uplink.batch.max_readings`). */
export const HOLD_FLOOR = 32;
/** A gap longer than this counts as this much: a quiet spell is quiet, however long. */
export const GAP_CAP_MS = 100;
/** Weight of the newest gap in the running mean (1/8: a few dozen readings to follow a change of pace). */
const GAP_WEIGHT = 1 / 8;

/** The running mean gap between arrivals, ms, after a reading `gapMs` after the one before. */
export function nextMeanGap(mean: number, gapMs: number): number {
  const gap = Math.min(Math.max(gapMs, 0), GAP_CAP_MS);
  return mean + (gap - mean) * GAP_WEIGHT;
}

/** A gateway that has seen no reading yet counts as quiet. */
export const QUIET_MEAN_GAP = GAP_CAP_MS;

export interface LiveHoldInput {
  /** Units published and waiting for their PUBACKs. */
  inflight: number;
  /** Live readings waiting to go. */
  queued: number;
  /** How long the oldest of them has waited, ms (0: they just came). */
  waitedMs: number;
  /** `nextMeanGap`'s running mean, ms. */
  meanGapMs: number;
  maxReadings: number;
  /** The forwarder is stopping: nothing waits. */
  flushing: boolean;
}

/** Milliseconds to hold the live batch for more readings, or 0: decide as `batchDecision` says. */
export function liveHoldMs(p: LiveHoldInput): number {
  // With something in flight the batch already waits for its PUBACK (batch-policy.ts).
  if (p.flushing || p.queued <= 0 || p.inflight > 0) return 0;
  if (p.queued >= Math.min(HOLD_FLOOR, p.maxReadings)) return 0;
  if (p.meanGapMs >= FAST_GAP_MS) return 0;
  return Math.max(0, HOLD_MS - p.waitedMs);
}
