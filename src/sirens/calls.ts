import type { Logger } from 'pino';
import { SirenError } from '../domain/index.js';
import type { SirenCheck, SirenDriver } from '../ports/siren-driver.js';
import { errorMessage } from '../util/errors.js';
import type { SirenRecords } from './records.js';
import type { SirenSlot } from './state.js';
import type { SirenTimers } from './types.js';

/**
 * The layer between the controller and the siren drivers: every call is time-boxed, and a driver
 * that throws, rejects or hangs becomes a fault (`siren_fault` event, one per new fault) instead
 * of an error, so one broken siren never delays or breaks the others.
 */
export class DriverCalls {
  constructor(
    private readonly timers: SirenTimers,
    private readonly timeoutMs: number,
    private readonly records: SirenRecords,
    private readonly log: Logger,
  ) {}

  /** Calls the driver now (synchronously), time-boxed; never rejects — failures become faults. */
  call(slot: SirenSlot, op: 'on' | 'off', zone: string | null): Promise<void> {
    const driver = slot.driver;
    let p: Promise<void>;
    try {
      p = op === 'on' ? driver.on() : driver.off();
    } catch (e) {
      p = Promise.reject(e);
    }
    const done = this.timeBox(p, slot.id, `${op}()`).then(
      () => {
        if (slot.driver === driver) delete slot.fault;
      },
      (e: unknown) => this.fault(slot, op, e, zone),
    );
    slot.pending = done;
    return done;
  }

  /** The driver's check, time-boxed; a failed check is a fault too. Never rejects. */
  async check(slot: SirenSlot): Promise<SirenCheck> {
    try {
      const c = await this.timeBox(slot.driver.check(), slot.id, 'check()');
      if (!c.ok) this.fault(slot, 'check', new SirenError(slot.id, c.fault ?? 'check failed'), null);
      return c;
    } catch (e) {
      this.fault(slot, 'check', e, null);
      return { on: null, ok: false, fault: errorMessage(e) };
    }
  }

  /** Closes a driver, time-boxed; a failure is only logged. Never rejects. */
  async close(d: SirenDriver): Promise<void> {
    try {
      await this.timeBox(d.close(), d.id, 'close()');
    } catch (e) {
      this.log.warn({ siren: d.id, err: e }, 'siren driver did not close cleanly');
    }
  }

  private timeBox<T>(p: Promise<T>, siren: string, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const h = this.timers.setTimeout(
        () => reject(new SirenError(siren, `${what} did not answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      p.then(
        (v) => {
          this.timers.clearTimeout(h);
          resolve(v);
        },
        (e: unknown) => {
          this.timers.clearTimeout(h);
          reject(e);
        },
      );
    });
  }

  private fault(slot: SirenSlot, op: string, e: unknown, zone: string | null): void {
    const msg = errorMessage(e);
    slot.faults++;
    this.log.warn({ siren: slot.id, op, err: msg }, 'siren driver failed');
    // One event per new fault, not one per pattern toggle of a siren that stays broken.
    if (slot.fault === msg) return;
    slot.fault = msg;
    this.records.emit('siren_fault', { siren: slot.id, zone, op, error: msg });
  }
}
