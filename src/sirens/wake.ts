import type { SirenTimers } from './types.js';

/** One timer, armed for the earliest of the moments at which the sirens' state may next change. */
export class WakeTimer {
  private handle: unknown;

  constructor(
    private readonly timers: SirenTimers,
    private readonly onWake: () => void,
  ) {}

  /** Replaces any armed timer with one for the earliest wake after `now`; none if there is none. */
  arm(now: number, wakes: readonly number[]): void {
    this.disarm();
    let next = Number.POSITIVE_INFINITY;
    for (const w of wakes) if (w > now && w < next) next = w;
    if (!Number.isFinite(next)) return;
    this.handle = this.timers.setTimeout(() => {
      this.handle = undefined;
      this.onWake();
    }, next - now);
  }

  disarm(): void {
    if (this.handle !== undefined) this.timers.clearTimeout(this.handle);
    this.handle = undefined;
  }
}
