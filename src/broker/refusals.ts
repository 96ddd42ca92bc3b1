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

/** Counts every refusal by reason, reports it to `count` and logs it with its fields. */
export class Refusals {
  private readonly counts: Partial<Record<BrokerRefusal, number>> = {};

  constructor(
    private readonly log: Logger,
    private readonly count: (reason: string) => void,
  ) {}

  refuse(reason: BrokerRefusal, fields: Record<string, unknown>): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + 1;
    this.count(reason);
    this.log.warn({ reason, ...fields }, 'local broker refused');
  }

  snapshot(): Partial<Record<BrokerRefusal, number>> {
    return { ...this.counts };
  }
}
