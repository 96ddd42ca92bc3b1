/**
 * The one interface every siren driver implements (drivers/sirens/*). The controller owns the
 * policy (pattern, budget, silence); a driver only switches one physical siren.
 *
 * Contracts:
 * - `on()` / `off()` are idempotent: commanding the state the siren is already in is harmless and
 *   is still sent to the hardware (the controller never skips an OFF it believes is redundant).
 * - They resolve once the hardware accepted the command (bytes drained, process exited 0, state
 *   echoed) and reject with a `SirenError` otherwise. They never throw synchronously.
 * - A driver may be called again while a previous call is still pending (e.g. `off()` during a
 *   hung `on()`); the later command wins. The controller time-boxes every call, so a driver need
 *   not guard against hanging forever, but it should use its own timeout where it has one.
 * - `check()` never rejects: it reports what the driver knows (last commanded state, whether the
 *   hardware is reachable) and a fault message when it is not healthy.
 * - `close()` releases ports/subscriptions without switching the siren; idempotent.
 */
export interface SirenDriver {
  /** The siren id from the config (`sirens[].id`). */
  readonly id: string;
  on(): Promise<void>;
  off(): Promise<void>;
  check(): Promise<SirenCheck>;
  close(): Promise<void>;
}

/** What a driver knows about its siren. */
export interface SirenCheck {
  /** Last state commanded successfully, or null when never switched since the driver opened. */
  on: boolean | null;
  /** The hardware answered (port open, state echoed, program ran). */
  ok: boolean;
  /** Why it is not ok, for status and the `siren_fault` event. */
  fault?: string;
}
