/**
 * How many readings batches may await their PUBACKs at once: a delay-based window (pure, on the
 * caller's monotonic clock), after TCP Vegas and LEDBAT.
 *
 * A wide window drains a backlog fast on a LAN (a PUBACK is answered by a batch already on the
 * wire), but on a slow cellular link every batch in flight is a batch an event has to wait
 * behind. So the window follows the PUBACK round trip: the smallest one seen lately is the link
 * itself, anything above it is queueing (in the modem, the network, the broker). While the queue
 * stays below the target and batches were waiting for a slot, the window grows (by one per
 * PUBACK: it doubles per round trip); above the target it shrinks (by up to half per round trip).
 * The target is one base round trip, but at least `TARGET_FLOOR_MS`: on a LAN, where a round
 * trip is a millisecond, a short queue costs an event nothing a villager would notice.
 *
 * The base is the least round trip since the connection began, not of the last minutes: a window
 * that keeps a queue never sees the bare link again, and an aging base would drift up by a target
 * every few minutes and let the queue grow with it. Only at the smallest window, where our own
 * queue is at most a batch, does a longer round trip become the new base: the link got slower.
 */

/** Where the window starts, and where it starts again after a reconnect (a new link, maybe slower). */
export const INITIAL_WINDOW = 4;
/** The smallest window: a PUBACK is still answered by a batch already on the wire. */
export const MIN_WINDOW = 2;
/** The least queueing delay tolerated, ms, however short the round trip. */
export const TARGET_FLOOR_MS = 100;

export class InflightWindow {
  private cwnd: number;
  private base = Number.POSITIVE_INFINITY;

  /** `ceiling`: `uplink.max_inflight`, which the window never exceeds. */
  constructor(
    private readonly ceiling: number,
    private readonly targetFloorMs = TARGET_FLOOR_MS,
  ) {
    this.cwnd = Math.min(INITIAL_WINDOW, ceiling);
  }

  /** Batches that may be in flight now: 1 ≤ size ≤ ceiling. */
  get size(): number {
    return Math.max(1, Math.min(this.ceiling, Math.floor(this.cwnd)));
  }

  /** The least round trip of this connection, ms (+∞ before the first PUBACK). */
  get baseRttMs(): number {
    return this.base;
  }

  /**
   * A unit's PUBACK arrived `rttMs` after it was published. `limited`: when it was sent it filled
   * the window, so a wider window would have sent more (without a backlog there is nothing to
   * learn about a wider window, and it must not grow on an idle link's fast PUBACKs).
   */
  onAck(rttMs: number, limited: boolean): void {
    const rtt = Math.max(0, rttMs);
    const floor = Math.min(MIN_WINDOW, this.ceiling);
    if (rtt < this.base || this.cwnd <= floor) this.base = rtt;
    const base = this.base;
    const target = Math.max(base, this.targetFloorMs);
    const offTarget = (target - (rtt - base)) / target;
    if (offTarget < 0) {
      // Queueing past the target: shrink by up to half a batch per PUBACK, so a window of W
      // loses up to W/2 in one round trip and an event soon waits behind less again.
      this.cwnd = Math.max(floor, this.cwnd + Math.max(offTarget, -1) / 2);
    } else if (limited) {
      // Below half the target grow fast (one per PUBACK); nearer to it, by at most one per round trip.
      const step = offTarget > 0.5 ? 1 : offTarget / this.cwnd;
      this.cwnd = Math.min(this.ceiling, this.cwnd + step);
    }
  }

  /** The connection is new: the old link's round trips say nothing about it. */
  reset(): void {
    this.cwnd = Math.min(INITIAL_WINDOW, this.ceiling);
    this.base = Number.POSITIVE_INFINITY;
  }
}
