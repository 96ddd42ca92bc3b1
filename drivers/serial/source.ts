import type { Logger } from 'pino';
import { type Clock, SerialError, systemClock } from '../../src/domain/index.js';
import type { FrameSource, FrameSourceState } from '../../src/ports/frame-source.js';
import { Backoff } from '../../src/util/backoff.js';

/**
 * The part of a node-serialport binding (`@serialport/bindings-interface`) this source uses.
 * The real binding (`SerialPort.binding`) and `MockBinding` from `@serialport/binding-mock` both fit.
 */
export interface SerialBinding {
  /** Opens the device; rejects if it does not exist, is locked or cannot be configured. */
  open(options: { path: string; baudRate: number }): Promise<SerialPortHandle>;
}

/** An open port, as returned by {@link SerialBinding.open}. */
export interface SerialPortHandle {
  readonly isOpen: boolean;
  /**
   * Resolves with at least one byte. Rejects with `{canceled: true}` when the port is closed by us;
   * any other rejection means the device is gone or broken.
   */
  read(buffer: Buffer, offset: number, length: number): Promise<{ bytesRead: number }>;
  /** Never called while another write is pending (the source queues them). */
  write(buffer: Buffer): Promise<void>;
  close(): Promise<void>;
  /** A cheap ioctl used as a liveness probe: a hung-up tty fails it with EIO. */
  getBaudRate?(): Promise<{ baudRate: number }>;
}

/** Timer functions, injectable so tests can drive the backoff by hand. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface BackoffRange {
  minMs: number;
  maxMs: number;
}

export interface SerialSourceDeps {
  /** Stable device path (`/dev/serial/by-id/…`); reopened as-is after every outage. */
  path: string;
  baud: number;
  log: Logger;
  /** Defaults to the platform binding of `serialport`, loaded on first open. */
  binding?: SerialBinding;
  /**
   * Every chunk as read. No line splitting here. The chunk is the source's read buffer, valid
   * only during the call: copy what must outlive it (the line splitter keeps an unfinished line
   * in its own buffer). A copy per read would put a slab of Buffer memory in V8's old generation
   * every ~100 reads, freed only by its next major GC (~1 MB at 1,000 frames/s, bench/README.md
   * "Memory round 10").
   */
  onData(chunk: Buffer): void;
  /** Once per outage: the first failed open, or the open port failing. */
  onLost(err: string): void;
  /** When the port opens again after an outage; `downMs` is the outage length. */
  onBack(downMs: number): void;
  /** Delay between open attempts: minMs doubled per failure, capped at maxMs. R5 needs maxMs ≤ 5000. */
  backoff?: BackoffRange;
  /** How often an open port is probed for a silent hang-up; 0 disables. Default 1000 ms. */
  probeMs?: number;
  timers?: Timers;
  clock?: Clock;
}

export const DEFAULT_BACKOFF: BackoffRange = { minMs: 500, maxMs: 5000 };
const READ_SIZE = 16 * 1024;

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

function isCanceled(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { canceled?: unknown }).canceled === true;
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
}

/** One open period of the device. */
interface Session {
  handle: SerialPortHandle;
  openedAt: number;
  /** Set once we decided to close this session; the reason it ended. */
  endReason: string | null;
  closing: Promise<void> | null;
}

/**
 * Reads raw bytes from one serial device and survives it being unplugged, re-plugged or
 * re-enumerated: it reopens the same path with exponential backoff for as long as it runs.
 * See {@link FrameSource} for the error and cancellation contracts.
 */
export class SerialSource implements FrameSource {
  private readonly timers: Timers;
  private readonly clock: Clock;
  private readonly backoff: BackoffRange;
  /** Delays between open attempts in the current outage. */
  private readonly retry: Backoff;
  private readonly probeMs: number;
  private binding: SerialBinding | undefined;

  private phase: 'idle' | 'running' | 'stopped' = 'idle';
  private firstAttempt: Promise<void> = Promise.resolve();
  private loop: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | null = null;
  private session: Session | null = null;
  private wake: (() => void) | null = null;
  private probeTimer: unknown = null;
  private writeChain: Promise<void> = Promise.resolve();
  /** Failed attempts in the current outage; drives the backoff. */
  /** Start of the current outage; null while open (or before the first attempt). */
  private downSince: number | null = null;

  private since: number;
  private reconnects = 0;
  private bytes = 0;
  private lastError: string | undefined;

  constructor(private readonly deps: SerialSourceDeps) {
    this.timers = deps.timers ?? realTimers;
    this.clock = deps.clock ?? systemClock;
    this.backoff = deps.backoff ?? DEFAULT_BACKOFF;
    this.retry = new Backoff({ ...this.backoff, jitter: 'none' });
    this.probeMs = deps.probeMs ?? 1000;
    this.binding = deps.binding;
    this.since = this.clock.now();
  }

  start(): Promise<void> {
    if (this.phase === 'stopped') {
      return Promise.reject(new SerialError('stopped', `serial source ${this.deps.path} was stopped`));
    }
    if (this.phase === 'running') return this.firstAttempt;
    this.phase = 'running';
    this.since = this.clock.now();
    let firstDone!: () => void;
    this.firstAttempt = new Promise<void>((resolve) => {
      firstDone = resolve;
    });
    this.loop = this.run(firstDone);
    return this.firstAttempt;
  }

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  state(): FrameSourceState {
    const s: FrameSourceState = {
      path: this.deps.path,
      open: this.session !== null && this.session.endReason === null,
      since: this.since,
      reconnects: this.reconnects,
      bytes: this.bytes,
    };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    return s;
  }

  /** Writes to the open port, in call order. Rejects with `SerialError('not_open')` during an outage. */
  write(buf: Buffer): Promise<void> {
    const s = this.session;
    if (s === null || s.endReason !== null) {
      return Promise.reject(new SerialError('not_open', `serial port ${this.deps.path} is not open`));
    }
    const p = this.writeChain.then(() => s.handle.write(buf));
    this.writeChain = p.catch(() => undefined);
    return p;
  }

  private async doStop(): Promise<void> {
    const wasRunning = this.phase === 'running';
    this.phase = 'stopped';
    this.wake?.();
    const closing = this.session ? this.endSession(this.session, 'stopped') : Promise.resolve();
    await this.loop;
    await closing;
    if (wasRunning) {
      this.since = this.clock.now();
      this.deps.log.info({ path: this.deps.path }, 'serial source stopped');
    }
  }

  private async run(firstDone: () => void): Promise<void> {
    try {
      while (this.phase === 'running') {
        const handle = await this.tryOpen();
        firstDone();
        if (handle !== null) {
          if (this.phase !== 'running') {
            await this.closeQuietly(handle);
            break;
          }
          const s = this.becameOpen(handle);
          const reason = await this.readUntilEnd(s);
          await this.endSession(s, reason);
          this.session = null;
          if (this.phase !== 'running') break;
          // A port that stayed up a while starts a fresh backoff; one that flaps keeps escalating.
          if (this.clock.now() - s.openedAt >= this.backoff.maxMs) this.retry.reset();
          this.becameLost(reason);
        }
        await this.sleep(this.retry.next());
      }
    } catch (e) {
      this.deps.log.error({ err: e, path: this.deps.path }, 'serial source loop failed');
    } finally {
      firstDone();
    }
  }

  private async tryOpen(): Promise<SerialPortHandle | null> {
    try {
      if (this.binding === undefined) {
        const { SerialPort } = await import('serialport');
        this.binding = SerialPort.binding;
      }
      return await this.binding.open({ path: this.deps.path, baudRate: this.deps.baud });
    } catch (e) {
      if (this.phase === 'running') this.becameLost(`open failed: ${describe(e)}`);
      return null;
    }
  }

  private becameOpen(handle: SerialPortHandle): Session {
    const now = this.clock.now();
    const s: Session = { handle, openedAt: now, endReason: null, closing: null };
    this.session = s;
    this.since = now;
    this.writeChain = Promise.resolve();
    if (this.downSince !== null) {
      const downMs = now - this.downSince;
      this.downSince = null;
      this.reconnects++;
      this.deps.log.info({ path: this.deps.path, downMs, reconnects: this.reconnects }, 'serial port back');
      this.notify('onBack', () => this.deps.onBack(downMs));
    } else {
      this.deps.log.info({ path: this.deps.path, baud: this.deps.baud }, 'serial port open');
    }
    this.scheduleProbe(s);
    return s;
  }

  private becameLost(reason: string): void {
    this.lastError = reason;
    if (this.downSince !== null) {
      this.deps.log.debug(
        { path: this.deps.path, err: reason, failures: this.retry.attempts },
        'serial port still down',
      );
      return;
    }
    const now = this.clock.now();
    this.downSince = now;
    this.since = now;
    this.deps.log.warn({ path: this.deps.path, err: reason }, 'serial port lost');
    this.notify('onLost', () => this.deps.onLost(reason));
  }

  /** Reads until the device fails or the session is ended; returns why it ended. */
  private async readUntilEnd(s: Session): Promise<string> {
    const buf = Buffer.allocUnsafe(READ_SIZE);
    for (;;) {
      let n: number;
      try {
        n = (await s.handle.read(buf, 0, buf.length)).bytesRead;
      } catch (e) {
        if (s.endReason !== null) return s.endReason;
        return isCanceled(e) ? 'read canceled' : `read failed: ${describe(e)}`;
      }
      if (s.endReason !== null) return s.endReason;
      if (n <= 0) return 'read failed: EOF';
      const chunk = buf.subarray(0, n);
      this.bytes += n;
      this.notify('onData', () => this.deps.onData(chunk));
    }
  }

  /** Closes the session's port once; a pending read then rejects as canceled. */
  private endSession(s: Session, reason: string): Promise<void> {
    if (s.closing !== null) return s.closing;
    s.endReason = reason;
    if (this.probeTimer !== null) {
      this.timers.clearTimeout(this.probeTimer);
      this.probeTimer = null;
    }
    s.closing = this.closeQuietly(s.handle);
    return s.closing;
  }

  private async closeQuietly(handle: SerialPortHandle): Promise<void> {
    if (!handle.isOpen) return;
    try {
      await handle.close();
    } catch (e) {
      this.deps.log.debug({ path: this.deps.path, err: describe(e) }, 'serial port close failed');
    }
  }

  /**
   * A tty hung up between two reads makes the binding's read return EOF forever instead of failing
   * (bindings-cpp retries on 0 bytes), so an open port is also probed with a cheap ioctl.
   */
  private scheduleProbe(s: Session): void {
    const probe = s.handle.getBaudRate?.bind(s.handle);
    if (this.probeMs <= 0 || probe === undefined) return;
    this.probeTimer = this.timers.setTimeout(() => {
      this.probeTimer = null;
      if (s.endReason !== null) return;
      probe().then(
        () => {
          if (s.endReason === null) this.scheduleProbe(s);
        },
        (e: unknown) => {
          if (s.endReason === null && !isCanceled(e)) void this.endSession(s, `probe failed: ${describe(e)}`);
        },
      );
    }, this.probeMs);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.phase !== 'running') return resolve();
      const h = this.timers.setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        this.timers.clearTimeout(h);
        this.wake = null;
        resolve();
      };
    });
  }

  private notify(name: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.deps.log.error({ err: e, path: this.deps.path, callback: name }, 'serial source callback threw');
    }
  }
}
