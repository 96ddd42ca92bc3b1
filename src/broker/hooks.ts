import {
  Aedes,
  type AedesPublishPacket,
  type AuthenticateError,
  type Client,
  type PublishPacket,
} from 'aedes';
import type { Logger } from 'pino';
import { CONNECT_TIMEOUT_MS } from './limits.js';

/** The broker's decisions, as plain calls; `createAedes` adapts them to aedes's callback hooks. */
export interface BrokerHooks {
  log: Logger;
  /** Resolves when the client may connect; rejects with an `AuthenticateError` otherwise. */
  authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<void>;
  /**
   * null to let the publish through; an error closes the client's connection. aedes sends a
   * QoS-1 PUBACK only after this settles, so a promise here delays the PUBACK until the reading
   * is committed (the `published` hook runs after the PUBACK: too late for a kill -9).
   */
  authorizePublish(client: Client | null, packet: PublishPacket): Error | null | Promise<Error | null>;
  /** false answers the subscription with SUBACK 0x80. */
  authorizeSubscribe(client: Client, filter: string): boolean;
  /** After a publish was accepted and (QoS 1) acknowledged (client null for the broker's own). */
  published?(packet: AedesPublishPacket, client: Client | null): void;
}

/** An aedes instance wired to `hooks`, with client and connection errors logged at debug. */
export async function createAedes(hooks: BrokerHooks): Promise<Aedes> {
  const broker = await Aedes.createBroker({
    connectTimeout: CONNECT_TIMEOUT_MS,
    drainTimeout: 30_000,
    maxTopicLevels: 16,
    authenticate: (client, username, password, done) => {
      hooks.authenticate(client, username, password).then(
        () => done(null, true),
        (err: unknown) => done(err as AuthenticateError, false),
      );
    },
    authorizePublish: (client, packet, done) => {
      const verdict = hooks.authorizePublish(client, packet);
      if (!(verdict instanceof Promise)) return done(verdict);
      verdict.then(done, (err: unknown) => {
        hooks.log.error({ err, topic: packet.topic }, 'publish handler failed');
        done(null);
      });
    },
    authorizeSubscribe: (client, sub, done) => {
      if (hooks.authorizeSubscribe(client, sub.topic)) return done(null, sub);
      done(null, null);
    },
    published: (packet, client, done) => {
      hooks.published?.(packet, client);
      done(null);
    },
  });
  broker.on('clientError', (client, err) => {
    hooks.log.debug({ client: client.id, err }, 'client error');
  });
  broker.on('connectionError', (client, err) => {
    hooks.log.debug({ client: client.id, err }, 'connection error');
  });
  return broker;
}
