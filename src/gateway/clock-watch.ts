import type { Clock, EventSink } from '../domain/index.js';

/**
 * A Pi has no RTC: after a power cut the wall clock starts in 1970 until NTP syncs it. This
 * watches for the moment it jumps into sync (or jumps at all) and raises a `clock` event.
 */
export class ClockWatch {
  private lastWall: number;
  private lastMono: number;
  private ok: boolean;

  constructor(
    private readonly deps: { clock: Clock; events: EventSink; minValidTime: number; mono?: () => number },
  ) {
    this.lastWall = deps.clock.now();
    this.lastMono = this.mono();
    this.ok = this.lastWall >= deps.minValidTime;
  }

  get clockOk(): boolean {
    return this.ok;
  }

  /** Call about once a second. A jump of more than 60 s against the monotonic clock is reported. */
  check(): void {
    const wall = this.deps.clock.now();
    const mono = this.mono();
    const expected = this.lastWall + (mono - this.lastMono);
    const jump = wall - expected;
    const nowOk = wall >= this.deps.minValidTime;
    if (nowOk !== this.ok || Math.abs(jump) > 60_000) {
      this.deps.events.emit('clock', {
        clock_ok: nowOk,
        jump_s: Math.round(jump / 1000),
        from: new Date(expected).toISOString(),
        to: new Date(wall).toISOString(),
      });
    }
    this.ok = nowOk;
    this.lastWall = wall;
    this.lastMono = mono;
  }

  private mono(): number {
    return this.deps.mono ? this.deps.mono() : performance.now();
  }
}
