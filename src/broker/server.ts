import { readFile } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Aedes, Client, PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { BrokerUser, LocalBrokerConfig } from '../config/schema.js';
import type { Clock } from '../domain/clock.js';
import { InvariantError } from '../domain/index.js';
import type { LocalBus } from '../ports/local-bus.js';
import { canPublish, canSubscribe, nodeIdOfUpTopic } from './acl.js';
import { authError } from './auth.js';
import { Connections } from './connections.js';
import { createAedes } from './hooks.js';
import { InternalBus } from './internal-bus.js';
import { normalizeAddress } from './limits.js';
import { Logins } from './login.js';
import { payloadBuffer, payloadBytes } from './payload.js';
import { type BrokerRefusal, Refusals, Refused } from './refusals.js';

export { AUTH_BLOCK_MS, AUTH_WINDOW_MS } from './auth.js';
export type { BrokerRefusal } from './refusals.js';

export type BrokerRole = BrokerUser['role'];

export interface LocalBrokerDeps {
  config: LocalBrokerConfig;
  /** The broker's component logger (pass a child logger). Passwords and payloads are never logged. */
  log: Logger;
  clock: Clock;
  /**
   * A payload published on `siaga/local/nodes/<id>/up` by that node's user (or an admin). The
   * PUBACK waits for a returned promise (the reading's commit).
   */
  onNodePayload(nodeId: string, payload: Buffer): unknown;
  /** Called once per refusal with a machine-readable reason (see `BrokerRefusal`). */
  count(reason: string): void;
}

export interface LocalBrokerStats {
  /** Authenticated, connected clients by role. */
  clients: Record<BrokerRole, number>;
  /** Open sockets, including ones not yet authenticated. */
  connections: number;
  /** Open sockets not yet logged in. */
  pending: number;
  authFailures: number;
  /** Passwords checked (scrypt runs) since start: throttled logins are refused before one. */
  passwordChecks: number;
  /** Addresses refused at admission after too many logins without a user name (or silent sockets). */
  blockedAddresses: number;
  /** (address, user) pairs refused after too many failed logins. */
  throttledLogins: number;
  refused: Partial<Record<BrokerRefusal, number>>;
}

/**
 * The embedded MQTT broker for Wi-Fi nodes and sirens on the village LAN (docs/wire.md §4): every
 * client authenticates against `local_broker.users` (scrypt), every publish/subscribe passes the
 * ACL of `acl.ts`, and the gateway itself publishes/subscribes through `LocalBus` without ACL.
 *
 * A forbidden or oversized publish closes the client's connection (MQTT 3.1.1 has no way to refuse
 * one PUBLISH); a forbidden subscription is answered with SUBACK 0x80.
 */
export class LocalBroker implements LocalBus {
  private config: LocalBrokerConfig;
  private users = new Map<string, BrokerUser>();
  private readonly log: Logger;
  private broker: Aedes | undefined;
  private server: Server | undefined;
  private readonly conns: Connections;
  private readonly bus: InternalBus;
  private readonly logins: Logins;
  private readonly refusals: Refusals;

  constructor(private readonly deps: LocalBrokerDeps) {
    this.config = deps.config;
    this.log = deps.log;
    this.bus = new InternalBus(deps.log);
    this.refusals = new Refusals(
      deps.log,
      (reason) => deps.count(reason),
      () => deps.clock.now(),
    );
    const refuse = (reason: BrokerRefusal, fields: Record<string, unknown>) =>
      this.refusals.refuse(reason, fields);
    this.logins = new Logins({
      log: deps.log,
      clock: deps.clock,
      failLimit: () => this.config.auth_fail_limit,
      users: () => this.users,
      refuse,
    });
    this.conns = new Connections({
      broker: () => this.broker,
      isBlocked: (address) => this.logins.isAddressBlocked(address),
      limits: () => this.config,
      refuse,
      timedOut: (address) => this.logins.timedOut(address),
    });
    this.setUsers(deps.config.users);
  }

  /** Creates the broker and listens on `host:port` (TLS when `tls` is configured; port 0 picks one). */
  async start(): Promise<void> {
    if (this.server) throw new InvariantError('local broker already started');
    const broker = await createAedes({
      log: this.log,
      authenticate: (client, username, password) => this.authenticate(client, username, password),
      authorizePublish: (client, packet) => this.authorizePublish(client, packet),
      authorizeSubscribe: (client, filter) => this.authorizeSubscribe(client, filter),
    });
    this.broker = broker;
    this.bus.attach(broker);

    const { tls } = this.config;
    let server: Server;
    if (tls) {
      const [cert, key] = await Promise.all([readFile(tls.cert_file), readFile(tls.key_file)]);
      const tlsServer = createTlsServer({ cert, key, minVersion: 'TLSv1.2' });
      tlsServer.on('secureConnection', (socket) => this.conns.attach(socket));
      tlsServer.on('tlsClientError', (err, socket) => {
        this.refusals.refuse('tls_error', {
          address: normalizeAddress(socket.remoteAddress),
          err: err.message,
        });
      });
      server = tlsServer;
    } else {
      server = createServer();
    }
    // Admission happens on the raw TCP socket; with TLS, aedes gets the socket after the handshake.
    server.on('connection', (socket: Socket) => this.conns.admit(socket, !tls));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.port, this.config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err }, 'local broker server error'));
    const addr = this.address();
    this.log.info({ host: addr.address, port: addr.port, tls: Boolean(tls) }, 'local broker listening');
  }

  /** The bound address (useful with port 0). */
  address(): AddressInfo {
    const addr = this.server?.address();
    if (!addr || typeof addr === 'string') throw new InvariantError('local broker is not listening');
    return addr;
  }

  /** Stops listening, disconnects every client and closes the broker. */
  async stop(): Promise<void> {
    const server = this.server;
    const broker = this.broker;
    this.server = undefined;
    this.broker = undefined;
    this.bus.attach(undefined);
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    this.conns.destroyAll();
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
    await closed;
  }

  /**
   * Applies a reloaded config: users, roles and limits take effect at once. Clients whose user was
   * removed, or whose role, binding or password hash changed, are disconnected (they may reconnect
   * under the new rules); everyone else stays connected. host/port/tls need a restart.
   */
  reconfigure(config: LocalBrokerConfig): void {
    const old = this.users;
    const { host, port, tls } = this.config;
    if (config.host !== host || config.port !== port || JSON.stringify(config.tls) !== JSON.stringify(tls)) {
      this.log.warn('local_broker host, port or tls changed: takes effect after a restart');
    }
    const next: LocalBrokerConfig = { ...config, host, port };
    if (tls) next.tls = tls;
    else delete next.tls;
    this.config = next;
    this.setUsers(config.users);
    for (const conn of this.conns) {
      if (conn.username === undefined || !conn.client) continue;
      const before = old.get(conn.username);
      const after = this.users.get(conn.username);
      const same =
        before &&
        after &&
        before.role === after.role &&
        before.node === after.node &&
        before.siren === after.siren &&
        before.password_hash === after.password_hash;
      if (!same) {
        this.log.info({ user: conn.username }, 'user removed or changed by reload: disconnecting');
        delete conn.username;
        conn.client.close();
      }
    }
  }

  stats(): LocalBrokerStats {
    const clients: Record<BrokerRole, number> = { node: 0, siren: 0, viewer: 0, operator: 0, admin: 0 };
    for (const conn of this.conns) {
      const user = conn.username === undefined ? undefined : this.users.get(conn.username);
      if (user && conn.client?.connected) clients[user.role]++;
    }
    const blocked = this.logins.blocked();
    return {
      clients,
      connections: this.conns.size,
      pending: this.conns.pending,
      authFailures: this.logins.failures,
      passwordChecks: this.logins.passwordChecks,
      blockedAddresses: blocked.addresses,
      throttledLogins: blocked.logins,
      refused: this.refusals.snapshot(),
    };
  }

  // ---- LocalBus: the gateway's own traffic, not subject to client ACLs ----

  publish(topic: string, payload: string | Buffer, opts?: { retain?: boolean; qos?: 0 | 1 }): Promise<void> {
    return this.bus.publish(topic, payload, opts);
  }

  subscribe(filter: string, handler: (topic: string, payload: Buffer) => void): () => void {
    return this.bus.subscribe(filter, handler);
  }

  // ---- internals ----

  private setUsers(users: readonly BrokerUser[]): void {
    this.users = new Map(users.map((u) => [u.username, u]));
  }

  private async authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<void> {
    const conn = this.conns.of(client);
    if (!conn) throw authError(5, 'unknown connection');
    const address = conn.address;
    this.conns.loginBegins(conn);
    const user = await this.logins.check(address, username, password, () => !conn.socket.destroyed);
    // A client id identifies a session: refuse taking over one that belongs to another user
    // (a viewer must not be able to kick a siren off by reusing its id).
    for (const other of this.conns) {
      if (other !== conn && other.client?.id === client.id && other.username !== undefined) {
        if (other.username !== user.username) {
          this.refusals.refuse('client_id_in_use', { address, user: user.username, client: client.id });
          throw authError(2, 'client id in use by another user');
        }
      }
    }
    conn.username = user.username;
    this.conns.loggedIn(conn);
    this.log.info(
      { user: user.username, role: user.role, address, client: client.id },
      'client authenticated',
    );
  }

  private userOf(client: Client | null): BrokerUser | undefined {
    const username = this.conns.of(client)?.username;
    return username === undefined ? undefined : this.users.get(username);
  }

  private authorizeSubscribe(client: Client, filter: string): boolean {
    const user = this.userOf(client);
    if (user && canSubscribe(user, filter)) return true;
    this.refusals.refuse('subscribe_denied', { user: this.conns.of(client)?.username, filter });
    return false;
  }

  private authorizePublish(
    client: Client | null,
    packet: PublishPacket,
  ): Error | null | Promise<Error | null> {
    const conn = this.conns.of(client);
    const user = this.userOf(client);
    if (!user || !canPublish(user, packet.topic)) {
      this.refusals.refuse('publish_denied', { user: conn?.username, topic: packet.topic });
      return new Refused('publish_denied');
    }
    const size = payloadBytes(packet);
    if (size > this.config.max_payload_bytes) {
      this.refusals.refuse('too_large', { user: user.username, topic: packet.topic, bytes: size });
      return new Refused('too_large');
    }
    // The reading is taken here, not in aedes' `published` hook, because aedes PUBACKs before
    // that hook runs: the node would delete a reading a kill -9 could still lose.
    const accepted = this.nodePayload(packet, user);
    return accepted === undefined ? null : accepted.then(() => null);
  }

  private nodePayload(packet: PublishPacket, user: BrokerUser): Promise<unknown> | undefined {
    const nodeId = nodeIdOfUpTopic(packet.topic);
    if (nodeId === undefined) return undefined;
    // canPublish already bound a node user to its own topic; re-checked here because this
    // is what turns bytes into readings.
    const allowed = user.role === 'admin' || (user.role === 'node' && user.node === nodeId);
    if (!allowed) return undefined;
    try {
      const done = this.deps.onNodePayload(nodeId, payloadBuffer(packet));
      return done instanceof Promise ? done : undefined;
    } catch (err) {
      this.log.error({ err, node: nodeId }, 'node payload handler failed');
      return undefined;
    }
  }
}
