/**
 * The small interface the gateway depends on for any southbound byte source (a serial port today).
 * Line splitting and decoding belong to ingest; a source only moves raw bytes and reports whether
 * its device is reachable.
 */

/** A snapshot of a source, for `status`, the control socket and logs. */
export interface FrameSourceState {
  /** Where the source reads from (for serial: the configured device path, never the resolved ttyUSBn). */
  path: string;
  /** `true` while the device is open and being read. */
  open: boolean;
  /** Epoch ms of the last change of `open` (or of `start()` if it never changed). */
  since: number;
  /** How many times the device came back after an outage (one per `onBack`). */
  reconnects: number;
  /** Bytes received since `start()`, across reconnects. */
  bytes: number;
  /** Why the device was last lost or could not be opened; kept after it comes back. */
  lastError?: string;
}

/**
 * A source of raw bytes from hardware that may come and go.
 *
 * Contracts every implementation keeps:
 * - `start()` never rejects because the device is absent or broken: the gateway must keep running.
 *   It resolves after the first open attempt (success or failure); on failure the source keeps
 *   retrying in the background and reports the outage through its `onLost` callback. It rejects only
 *   on programming errors (e.g. `start()` after `stop()`). Calling it again while started is a no-op.
 * - Data, loss and recovery are reported through callbacks given at construction, never by throwing.
 *   A callback that throws is logged and does not stop the source.
 * - `stop()` cancels any pending retry and in-flight read, closes the device, and resolves when no
 *   callback will be called any more. It never rejects and may be called more than once (or before
 *   `start()`); a stopped source cannot be started again.
 * - `state()` is cheap and synchronous.
 */
export interface FrameSource {
  start(): Promise<void>;
  stop(): Promise<void>;
  state(): FrameSourceState;
}
