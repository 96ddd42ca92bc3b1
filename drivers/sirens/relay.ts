import type { Logger } from 'pino';
import { SirenError } from '../../src/domain/index.js';
import type { SirenCheck, SirenDriver } from '../../src/ports/siren-driver.js';

/** The part of an open node-serialport binding port the relay needs (bindings-interface shape). */
export interface RelayPort {
  readonly isOpen: boolean;
  write(buffer: Buffer): Promise<void>;
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** A node-serialport binding: `SerialPort.binding` from `serialport`, or `MockBinding` in tests. */
export interface RelayBinding {
  open(options: { path: string; baudRate: number }): Promise<RelayPort>;
}

/**
 * One LCUS relay command: `A0 <channel> <state> <sum>`, sum = (0xA0 + channel + state) & 0xFF.
 * Channel 1: ON `A0 01 01 A2`, OFF `A0 01 00 A1`.
 */
export function lcusFrame(channel: number, on: boolean): Buffer {
  const state = on ? 1 : 0;
  return Buffer.from([0xa0, channel, state, (0xa0 + channel + state) & 0xff]);
}

export interface RelayBoardOptions {
  /** Serial device, preferably /dev/serial/by-id/… (survives re-plugging). */
  path: string;
  baud?: number;
  binding?: RelayBinding;
  log?: Logger;
  /** Longest one write + drain may take (default 2000 ms). */
  writeTimeoutMs?: number;
}

/**
 * One LCUS board on one serial port, shared by the sirens on its channels (the port can be opened
 * only once). The port is opened on first use and kept open; a failed open or write drops the port
 * and the write is retried once on a fresh open, so a re-plugged adapter works again on the next
 * switch without a restart. Writes go out one at a time, in call order.
 */
export class RelayBoard {
  private port: RelayPort | undefined;
  private opening: Promise<RelayPort> | undefined;
  private binding: RelayBinding | undefined;
  private closed = false;
  private users = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly opts: RelayBoardOptions) {
    this.binding = opts.binding;
  }

  get path(): string {
    return this.opts.path;
  }

  /** A siren starts using the board; `release()` closes the port when the last one leaves. */
  acquire(): void {
    this.users++;
    this.closed = false;
  }

  async release(): Promise<void> {
    this.users = Math.max(0, this.users - 1);
    if (this.users > 0) return;
    this.closed = true;
    await this.queue.catch(() => undefined);
    await this.drop();
  }

  /** Opens the port if needed (for check()). */
  async probe(): Promise<void> {
    await this.open();
  }

  send(frame: Buffer): Promise<void> {
    const run = async (): Promise<void> => {
      try {
        await this.write(frame);
      } catch (first) {
        this.opts.log?.warn(
          { port: this.path, err: (first as Error).message },
          'relay write failed, reopening',
        );
        await this.drop();
        try {
          await this.write(frame);
        } catch (e) {
          await this.drop();
          throw e;
        }
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async write(frame: Buffer): Promise<void> {
    const port = await this.open();
    // A wedged USB adapter can stall a write forever: give up, drop the port, reopen next time.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ms = this.opts.writeTimeoutMs ?? 2000;
    try {
      await Promise.race([
        port.write(frame).then(() => port.drain()),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`write did not finish within ${ms} ms`)), ms);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async open(): Promise<RelayPort> {
    if (this.closed) throw new Error('relay board is closed');
    if (this.port?.isOpen) return this.port;
    this.opening ??= (async () => {
      try {
        if (!this.binding) {
          const { SerialPort } = await import('serialport');
          this.binding = SerialPort.binding as unknown as RelayBinding;
        }
        const port = await this.binding.open({ path: this.path, baudRate: this.opts.baud ?? 9600 });
        this.port = port;
        return port;
      } catch (e) {
        throw new Error(`cannot open relay port ${this.path}: ${(e as Error).message}`, { cause: e });
      } finally {
        this.opening = undefined;
      }
    })();
    return this.opening;
  }

  private async drop(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await port.close().catch(() => undefined);
  }
}

export interface RelaySirenOptions {
  id: string;
  channel?: number;
  /** The board (shared by all channels on one port). */
  board: RelayBoard;
}

/** A siren on one channel of an LCUS USB serial relay board. */
export class RelaySiren implements SirenDriver {
  readonly id: string;
  private state: boolean | null = null;
  private lastFault: string | undefined;
  private closed = false;

  constructor(private readonly opts: RelaySirenOptions) {
    this.id = opts.id;
    opts.board.acquire();
  }

  on(): Promise<void> {
    return this.send(true);
  }

  off(): Promise<void> {
    return this.send(false);
  }

  async check(): Promise<SirenCheck> {
    try {
      await this.opts.board.probe();
      return this.lastFault
        ? { on: this.state, ok: false, fault: this.lastFault }
        : { on: this.state, ok: true };
    } catch (e) {
      return { on: this.state, ok: false, fault: (e as Error).message };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.opts.board.release();
  }

  private async send(on: boolean): Promise<void> {
    try {
      if (this.closed) throw new Error('relay siren is closed');
      await this.opts.board.send(lcusFrame(this.opts.channel ?? 1, on));
    } catch (e) {
      const err = new SirenError(this.id, `relay ${this.opts.board.path}: ${(e as Error).message}`, {
        cause: e,
      });
      this.lastFault = err.message;
      throw err;
    }
    this.lastFault = undefined;
    this.state = on;
  }
}
