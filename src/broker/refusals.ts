import type { Logger } from 'pino';

/** Reasons passed to `count` and kept in `stats().refused`. */
export type BrokerRefusal =
  | 'auth_failed'
  | 'auth_blocked'
  | 'auth_throttled'
  | 'connect_timeout'
  | 'too_many_pending'
  | 'client_id_in_use'
  | 'too_many_connections'
  | 'too_large'
  | 'publish_denied'
  | 'subscribe_denied'
  | 'tls_error';

/** The error an authorizer hands aedes to refuse a packet (aedes then closes the connection). */
export class Refused extends Error {
  constructor(readonly reason: BrokerRefusal) {
    super(reason);
  }
}

/** A refusal reason is logged at most once per this, with the number left unlogged since. */
export const REFUSAL_LOG_EVERY_MS = 10_000;

/**
 * Counts every refusal by reason, reports it to `count` and logs it with its fields. A flood
 * (sockets reopened as they close, guesses in a loop) is counted in full but logged once per
 * reason every `REFUSAL_LOG_EVERY_MS`, so an attacker cannot fill the gateway's SD card.
 */
export class Refusals {
  private readonly counts: Partial<Record<BrokerRefusal, number>> = {};
  private readonly logged = new Map<BrokerRefusal, { at: number; unlogged: number }>();

  constructor(
    private readonly log: Logger,
    private readonly count: (reason: string) => void,
    private readonly now: () => number,
  ) {}

  refuse(reason: BrokerRefusal, fields: Record<string, unknown>): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + 1;
    this.count(reason);
    const now = this.now();
    const last = this.logged.get(reason);
    if (last && now - last.at < REFUSAL_LOG_EVERY_MS && now >= last.at) {
      last.unlogged++;
      return;
    }
    const unlogged = last?.unlogged ?? 0;
    this.logged.set(reason, { at: now, unlogged: 0 });
    this.log.warn({ reason, ...fields, ...(unlogged > 0 ? { unlogged } : {}) }, 'local broker refused');
  }

  snapshot(): Partial<Record<BrokerRefusal, number>> {
    return { ...this.counts };
  }
}
