import type { Clock } from '../../src/domain/index.js';
import { SirenError } from '../../src/domain/index.js';
import type { SirenCheck, SirenDriver } from '../../src/ports/siren-driver.js';

/** One call a `RecordingSiren` received. */
export interface SirenCall {
  op: 'on' | 'off' | 'check' | 'close';
  /** Clock time of the call (the injected clock, or Date.now()). */
  at: number;
  /** Global order across every RecordingSiren of the process, to compare sirens with each other. */
  seq: number;
}

export type FailMode = 'none' | 'throw' | 'reject' | 'hang';

let globalSeq = 0;

/**
 * A SirenDriver fake that records every call with its time and can be told to fail: `throw`
 * (synchronously, a contract breach the controller must survive), `reject` (a SirenError) or
 * `hang` (a promise that never settles). `on` reflects the last successful switch.
 */
export class RecordingSiren implements SirenDriver {
  readonly calls: SirenCall[] = [];
  on_: boolean | null = null;
  closed = false;
  private mode: FailMode = 'none';
  private failOps: ReadonlySet<SirenCall['op']> = new Set(['on', 'off', 'check']);

  constructor(
    readonly id: string,
    private readonly clock: Clock = { now: () => Date.now() },
  ) {}

  /** Makes later calls fail; `ops` limits which ones (default on, off and check). */
  fail(mode: FailMode, ops?: SirenCall['op'][]): this {
    this.mode = mode;
    if (ops) this.failOps = new Set(ops);
    return this;
  }

  heal(): this {
    this.mode = 'none';
    return this;
  }

  /** The ops so far, e.g. ['off', 'on', 'off']. */
  ops(filter?: SirenCall['op'][]): SirenCall['op'][] {
    return this.calls.map((c) => c.op).filter((op) => !filter || filter.includes(op));
  }

  /** Times at which the siren was switched to `op`. */
  times(op: 'on' | 'off'): number[] {
    return this.calls.filter((c) => c.op === op).map((c) => c.at);
  }

  on(): Promise<void> {
    return this.switch('on');
  }

  off(): Promise<void> {
    return this.switch('off');
  }

  check(): Promise<SirenCheck> {
    this.record('check');
    const f = this.failure('check');
    if (f !== undefined) return f.then(() => ({ on: this.on_, ok: true }));
    return Promise.resolve({ on: this.on_, ok: true });
  }

  close(): Promise<void> {
    this.record('close');
    this.closed = true;
    return Promise.resolve();
  }

  clear(): void {
    this.calls.length = 0;
  }

  private switch(op: 'on' | 'off'): Promise<void> {
    this.record(op);
    const f = this.failure(op);
    if (f !== undefined) return f;
    this.on_ = op === 'on';
    return Promise.resolve();
  }

  private record(op: SirenCall['op']): void {
    this.calls.push({ op, at: this.clock.now(), seq: ++globalSeq });
  }

  private failure(op: SirenCall['op']): Promise<void> | undefined {
    if (this.mode === 'none' || !this.failOps.has(op)) return undefined;
    if (this.mode === 'throw') throw new SirenError(this.id, `${op} exploded (test)`);
    if (this.mode === 'reject') return Promise.reject(new SirenError(this.id, `${op} failed (test)`));
    return new Promise<void>(() => undefined);
  }
}

interface Pending {
  due: number;
  order: number;
  fn: () => void;
}

/**
 * setTimeout/clearTimeout over a ManualClock-like clock: nothing fires until `advance`, which
 * moves the clock to each due time in order and runs the callback there. `advanceAsync` also lets
 * promise callbacks run between timers (driver calls resolving, awaits in the code under test).
 */
export class ManualTimers {
  private pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly clock: { now(): number; set(t: number): void }) {}

  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.nextId++;
    this.pending.set(id, { due: this.clock.now() + Math.max(0, ms), order: id, fn });
    return id;
  };

  clearTimeout = (h: unknown): void => {
    this.pending.delete(h as number);
  };

  /** Number of timers not yet fired. */
  get size(): number {
    return this.pending.size;
  }

  advance(ms: number): void {
    const target = this.clock.now() + ms;
    for (;;) {
      const next = this.next(target);
      if (!next) break;
      this.pending.delete(next[0]);
      this.clock.set(next[1].due);
      next[1].fn();
    }
    this.clock.set(target);
  }

  async advanceAsync(ms: number): Promise<void> {
    const target = this.clock.now() + ms;
    await flush();
    for (;;) {
      const next = this.next(target);
      if (!next) break;
      this.pending.delete(next[0]);
      this.clock.set(next[1].due);
      next[1].fn();
      await flush();
    }
    this.clock.set(target);
    await flush();
  }

  private next(target: number): [number, Pending] | undefined {
    let best: [number, Pending] | undefined;
    for (const e of this.pending) {
      if (e[1].due > target) continue;
      if (!best || e[1].due < best[1].due || (e[1].due === best[1].due && e[1].order < best[1].order))
        best = e;
    }
    return best;
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
