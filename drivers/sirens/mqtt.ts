import { SirenError } from '../../src/domain/index.js';
import type { LocalBus } from '../../src/ports/local-bus.js';
import type { SirenCheck, SirenDriver } from '../../src/ports/siren-driver.js';

export const sirenSetTopic = (id: string): string => `siaga/local/sirens/${id}/set`;
export const sirenStateTopic = (id: string): string => `siaga/local/sirens/${id}/state`;

export interface MqttSirenOptions {
  id: string;
  bus: LocalBus;
  /** How long the device has to echo the new state (config `state_timeout_ms`, default 2000). */
  stateTimeoutMs?: number;
}

interface Waiter {
  want: 'ON' | 'OFF';
  resolve: () => void;
}

/**
 * A siren on the gateway's LAN speaking MQTT to the local broker (docs/wire.md §4): the gateway
 * publishes `ON`/`OFF` to `siaga/local/sirens/<id>/set` (QoS 1, retained so a device that reboots
 * learns the current command) and the device echoes its state on `…/state`. `on()`/`off()`
 * resolve when the echo arrives and reject with a SirenError when it does not within the timeout.
 */
export class MqttSiren implements SirenDriver {
  readonly id: string;
  private readonly unsubscribe: () => void;
  private echoed: boolean | null = null;
  private lastFault: string | undefined;
  private waiters = new Set<Waiter>();
  private readonly timeoutMs: number;

  constructor(private readonly opts: MqttSirenOptions) {
    this.id = opts.id;
    this.timeoutMs = opts.stateTimeoutMs ?? 2000;
    this.unsubscribe = opts.bus.subscribe(sirenStateTopic(opts.id), (_topic, payload) =>
      this.onState(payload),
    );
  }

  on(): Promise<void> {
    return this.set('ON');
  }

  off(): Promise<void> {
    return this.set('OFF');
  }

  check(): Promise<SirenCheck> {
    if (this.lastFault) return Promise.resolve({ on: this.echoed, ok: false, fault: this.lastFault });
    return Promise.resolve({ on: this.echoed, ok: true });
  }

  close(): Promise<void> {
    this.unsubscribe();
    return Promise.resolve();
  }

  private onState(payload: Buffer): void {
    const s = payload.toString('utf8').trim().toUpperCase();
    if (s !== 'ON' && s !== 'OFF') return;
    this.echoed = s === 'ON';
    for (const w of this.waiters) {
      if (w.want === s) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }

  private async set(want: 'ON' | 'OFF'): Promise<void> {
    let waiter: Waiter | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Listen before publishing: a device on the same host can answer before publish() resolves.
    const echo = new Promise<void>((resolve, reject) => {
      waiter = { want, resolve };
      this.waiters.add(waiter);
      timer = setTimeout(
        () => reject(new SirenError(this.id, `no ${want} state echo within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      await this.opts.bus.publish(sirenSetTopic(this.id), want, { qos: 1, retain: true });
      await echo;
    } catch (e) {
      const err =
        e instanceof SirenError
          ? e
          : new SirenError(this.id, `cannot publish ${want}: ${(e as Error).message}`);
      this.lastFault = err.message;
      throw err;
    } finally {
      clearTimeout(timer);
      if (waiter) this.waiters.delete(waiter);
    }
    this.lastFault = undefined;
  }
}
