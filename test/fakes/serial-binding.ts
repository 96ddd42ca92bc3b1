import { SerialPortMock } from 'serialport';
import type { SerialBinding, SerialPortHandle } from '../../drivers/serial/source.js';

/**
 * `@serialport/binding-mock`'s MockBinding, taken from `serialport` so every test shares the one
 * (CommonJS) instance `SerialPortMock` uses: its port registry is module state.
 */
export const MockBinding = SerialPortMock.binding;
// Named through `serialport`: binding-mock's own ESM entry ships no types under NodeNext.
type MockPortBinding = Awaited<ReturnType<typeof MockBinding.open>>;
export type CreatePortOptions = NonNullable<Parameters<typeof MockBinding.createPort>[1]>;

function ioError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/** An open fake port: a MockPortBinding that can also be hung up like an unplugged adapter. */
export class FakePortHandle implements SerialPortHandle {
  private hungUp = false;
  private rejectHangup: (e: Error) => void = () => undefined;
  private readonly hangup: Promise<never>;

  constructor(readonly inner: MockPortBinding) {
    this.hangup = new Promise<never>((_, reject) => {
      this.rejectHangup = reject;
    });
    this.hangup.catch(() => undefined);
  }

  get isOpen(): boolean {
    return this.inner.isOpen;
  }

  read(buffer: Buffer, offset: number, length: number): Promise<{ bytesRead: number }> {
    return Promise.race([this.inner.read(buffer, offset, length), this.hangup]);
  }

  write(buffer: Buffer): Promise<void> {
    if (this.hungUp) return Promise.reject(ioError('EIO', 'write on hung-up port'));
    return this.inner.write(buffer);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  getBaudRate(): Promise<{ baudRate: number }> {
    if (this.hungUp) return Promise.reject(ioError('EIO', 'cannot get baud rate'));
    return this.inner.getBaudRate();
  }

  /**
   * Simulates the device going away. `loud` (default): the pending read fails like a pty hang-up.
   * `silent`: reads just never return (the EOF-forever case); only the liveness probe notices.
   */
  hangUp(mode: 'loud' | 'silent' = 'loud'): void {
    this.hungUp = true;
    if (mode === 'loud') this.rejectHangup(ioError('EIO', 'input/output error'));
  }
}

/**
 * A serial binding for unit tests, built on `@serialport/binding-mock`: devices can be plugged in,
 * fed bytes, and unplugged (open fails with ENOENT and an open port hangs up).
 *
 * MockBinding keeps its ports in module state; `new FakeSerialBinding()` resets it, so use one per test.
 */
export class FakeSerialBinding implements SerialBinding {
  /** Every open attempt, in order, with whether it succeeded. */
  readonly attempts: { path: string; ok: boolean }[] = [];
  private readonly present = new Set<string>();
  private readonly handles = new Map<string, FakePortHandle>();

  constructor() {
    MockBinding.reset();
  }

  /** Makes `path` openable (a fresh port each time, as a re-plugged adapter). */
  plug(path: string, opts: CreatePortOptions = {}): void {
    MockBinding.createPort(path, { record: true, ...opts });
    this.present.add(path);
  }

  /** Makes `path` unopenable and hangs up the port open on it, if any. */
  unplug(path: string, mode: 'loud' | 'silent' = 'loud'): void {
    this.present.delete(path);
    this.handles.get(path)?.hangUp(mode);
  }

  async open(options: { path: string; baudRate: number }): Promise<FakePortHandle> {
    if (!this.present.has(options.path)) {
      this.attempts.push({ path: options.path, ok: false });
      await Promise.resolve();
      throw ioError('ENOENT', `no such file or directory, cannot open ${options.path}`);
    }
    const handle = new FakePortHandle(await MockBinding.open(options));
    this.attempts.push({ path: options.path, ok: true });
    this.handles.set(options.path, handle);
    return handle;
  }

  /** The latest handle opened on `path` (open or not). */
  handle(path: string): FakePortHandle | undefined {
    return this.handles.get(path);
  }

  /** Pretends the device sent `data`; throws if the port is not open. */
  emitData(path: string, data: Buffer | string): void {
    const h = this.handles.get(path);
    if (!h?.isOpen) throw new Error(`fake serial port ${path} is not open`);
    h.inner.emitData(data);
  }

  /** Everything written to `path` by the code under test since it was last plugged. */
  written(path: string): Buffer {
    return this.handles.get(path)?.inner.recording ?? Buffer.alloc(0);
  }
}
