import type { Logger } from 'pino';
import type { SirenConfig } from '../../src/config/schema.js';
import { SirenError } from '../../src/domain/index.js';
import type { LoraSirenLink } from '../../src/ports/lora-link.js';
import type { SirenCheck, SirenDriver } from '../../src/ports/siren-driver.js';

export interface LoraSirenOptions {
  id: string;
  node: string;
  fport: number;
  onPayload: Buffer;
  offPayload: Buffer;
  confirmed: boolean;
  ackTimeoutMs: number;
  retries: number;
  link: LoraSirenLink;
  log: Logger;
}

/** How long the TX_ACK of one send may take (GwmpServer's default), for the call budget below. */
const TX_ACK_MS = 3000;

/** Longest one on()/off() of this siren can take: every send with its TX_ACK and ACK wait. */
export function loraSirenBudgetMs(s: { ack_timeout_s: number; retries: number }): number {
  return (s.retries + 1) * (s.ack_timeout_s * 1000 + TX_ACK_MS) + 1000;
}

/**
 * The controller time-boxes every driver call; a LoRa siren's call lasts as long as its retries,
 * so the box must be at least that (a shorter one would report a fault the driver is still curing).
 */
export function sirenCallTimeoutMs(sirens: readonly SirenConfig[], base = 5000): number {
  let ms = base;
  for (const s of sirens) if (s.driver === 'lora') ms = Math.max(ms, loraSirenBudgetMs(s));
  return ms;
}

/**
 * A siren (or strobe, or LED board) on a Class C LoRa node: ON and OFF are downlinks sent at once
 * on RX2 (src/lora/network.ts), confirmed by the node's ACK in its next uplink and sent again
 * without one. `on()` resolves only once the node acknowledged (or, unconfirmed, a forwarder
 * accepted the frame): a siren that could not be reached is a fault, never "sounding".
 * The node's status uplink on the same FPort (first byte 1 = sounding, 0 = quiet) is read back.
 */
export class LoraSiren implements SirenDriver {
  readonly id: string;
  private commanded: boolean | null = null;
  private reported: { on: boolean } | undefined;
  private fault: string | undefined;
  /** An OFF for a node no forwarder has heard yet: sent when it first reports. */
  private offOwed = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly o: LoraSirenOptions) {
    this.id = o.id;
    this.unsubscribe = o.link.onStatus(o.node, o.fport, (p) => this.onStatus(p));
  }

  on(): Promise<void> {
    return this.send(true);
  }

  /**
   * OFF to a node never heard since the gateway started resolves at once and is sent when the node
   * first reports: a Class C node cannot be reached before, and it powers up quiet. Refusing it
   * would fault every LoRa siren at each restart (the safe-start OFF) before its node spoke.
   */
  off(): Promise<void> {
    if (!this.o.link.reachable(this.o.node) && this.commanded !== true) {
      this.offOwed = true;
      this.commanded = false;
      this.o.log.info({ node: this.o.node }, 'lora siren OFF held until its node is heard');
      return Promise.resolve();
    }
    return this.send(false);
  }

  check(): Promise<SirenCheck> {
    const on = this.reported?.on ?? this.commanded;
    if (this.fault !== undefined) return Promise.resolve({ on, ok: false, fault: this.fault });
    if (this.reported !== undefined && this.commanded !== null && this.reported.on !== this.commanded) {
      return Promise.resolve({
        on: this.reported.on,
        ok: false,
        fault: `node ${this.o.node} reports ${this.reported.on ? 'ON' : 'OFF'} but was commanded ${this.commanded ? 'ON' : 'OFF'}`,
      });
    }
    return Promise.resolve({ on, ok: true });
  }

  close(): Promise<void> {
    this.unsubscribe();
    return Promise.resolve();
  }

  private async send(on: boolean): Promise<void> {
    this.offOwed = false;
    const r = await this.o.link.command(this.o.node, {
      fport: this.o.fport,
      payload: on ? this.o.onPayload : this.o.offPayload,
      confirmed: this.o.confirmed,
      ackTimeoutMs: this.o.ackTimeoutMs,
      retries: this.o.retries,
    });
    if (!r.ok) {
      this.fault = r.message;
      throw new SirenError(this.id, r.message);
    }
    this.fault = undefined;
    this.commanded = on;
  }

  private onStatus(payload: Buffer): void {
    const b = payload[0];
    if (b === 0 || b === 1) this.reported = { on: b === 1 };
    // A node that reports itself quiet is owed nothing; one sounding, or saying nothing we can read, is.
    if (this.offOwed && this.reported?.on === false) this.offOwed = false;
    if (this.offOwed) {
      this.send(false).catch((e: unknown) =>
        this.o.log.warn({ err: e }, 'lora siren: owed OFF not delivered'),
      );
    }
  }
}

/** Builds the driver from its config entry. */
export function createLoraSiren(
  cfg: Extract<SirenConfig, { driver: 'lora' }>,
  link: LoraSirenLink,
  log: Logger,
): LoraSiren {
  return new LoraSiren({
    id: cfg.id,
    node: cfg.node,
    fport: cfg.fport,
    onPayload: Buffer.from(cfg.on_payload, 'hex'),
    offPayload: Buffer.from(cfg.off_payload, 'hex'),
    confirmed: cfg.confirmed,
    ackTimeoutMs: cfg.ack_timeout_s * 1000,
    retries: cfg.retries,
    link,
    log,
  });
}
