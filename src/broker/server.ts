import { readFile } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import {
  Aedes,
  type AedesPublishPacket,
  type AuthenticateError,
  type Client,
  type PublishPacket,
} from 'aedes';
import type { Logger } from 'pino';
import type { BrokerUser, LocalBrokerConfig } from '../config/schema.js';
import type { Clock } from '../domain/clock.js';
import { canPublish, canSubscribe, isPlainTopic, isValidFilter, nodeIdOfUpTopic } from './acl.js';
import type { LocalBus } from './bus.js';
import { verifyPassword } from './password.js';

/** Auth failures from one address are counted over this window… */
export const AUTH_WINDOW_MS = 60_000;
/** …and after `auth_fail_limit` of them the address is refused for this long. */
export const AUTH_BLOCK_MS = 5 * 60_000;
/** A CONNECT must arrive this soon after the TCP connection, or the socket is closed. */
const CONNECT_TIMEOUT_MS = 10_000;
/** Room for topic, ids and credentials on top of the payload limit, for the frame-size guard. */
const FRAME_OVERHEAD_BYTES = 2048;
/** Addresses remembered for rate limiting; beyond this, expired entries are swept. */
const MAX_TRACKED_ADDRESSES = 1024;

// Same cost as a real verification, so an unknown username takes as long as a wrong password.
const DUMMY_HASH = `scrypt$16384$8$1$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`;

export type BrokerRole = BrokerUser['role'];

/** Reasons passed to `count` and kept in `stats().refused`. */
export type BrokerRefusal =
  | 'auth_failed'
  | 'auth_blocked'
  | 'client_id_in_use'
  | 'too_many_connections'
  | 'too_large'
  | 'publish_denied'
  | 'subscribe_denied'
  | 'tls_error';

export interface LocalBrokerDeps {
  config: LocalBrokerConfig;
  /** The broker's component logger (pass a child logger). Passwords and payloads are never logged. */
  log: Logger;
  clock: Clock;
  /** A payload published on `siaga/local/nodes/<id>/up` by that node's user (or an admin). */
  onNodePayload(nodeId: string, payload: Buffer): void;
  /** Called once per refusal with a machine-readable reason (see `BrokerRefusal`). */
  count(reason: string): void;
}

export interface LocalBrokerStats {
  /** Authenticated, connected clients by role. */
  clients: Record<BrokerRole, number>;
  /** Open sockets, including ones not yet authenticated. */
  connections: number;
  authFailures: number;
  /** Addresses currently refused after too many auth failures. */
  blockedAddresses: number;
  refused: Partial<Record<BrokerRefusal, number>>;
}

interface Conn {
  socket: Socket;
  address: string;
  client?: Client;
  /** Set once the client authenticated. */
  username?: string;
}

interface InternalSub {
  filter: string;
  deliver: (packet: AedesPublishPacket, cb: () => void) => void;
}

class Refused extends Error {
  constructor(readonly reason: BrokerRefusal) {
    super(reason);
  }
}

function authError(returnCode: 2 | 4 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

function normalizeAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * Counts MQTT packet lengths in the bytes a client sends (fixed header + remaining length only),
 * so a huge packet is cut off before mqtt-packet buffers it whole. Returns false past `limit`.
 */
class FrameSizeGuard {
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private remaining = 0;

  constructor(private readonly limit: number) {}

  accept(chunk: Buffer): boolean {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'body') {
        const take = Math.min(this.remaining, chunk.length - i);
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) this.state = 'type';
      } else if (this.state === 'type') {
        this.state = 'length';
        this.length = 0;
        this.multiplier = 1;
        i++;
      } else {
        const byte = chunk[i++]!;
        this.length += (byte & 0x7f) * this.multiplier;
        if (this.length > this.limit) return false;
        if (byte & 0x80) {
          this.multiplier *= 128;
          if (this.multiplier > 128 ** 3) return false; // more than 4 length bytes: malformed
        } else {
          this.remaining = this.length;
          this.state = this.remaining === 0 ? 'type' : 'body';
        }
      }
    }
    return true;
  }
}

/**
 * The embedded MQTT broker for Wi-Fi nodes and sirens on the village LAN (wire.md §4): every
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
  private readonly conns = new Set<Conn>();
  private readonly connByClient = new WeakMap<Client, Conn>();
  private readonly internalSubs = new Set<InternalSub>();
  private readonly failures = new Map<string, number[]>();
  private readonly blockedUntil = new Map<string, number>();
  private readonly refused: Partial<Record<BrokerRefusal, number>> = {};
  private authFailures = 0;

  constructor(private readonly deps: LocalBrokerDeps) {
    this.config = deps.config;
    this.log = deps.log;
    this.setUsers(deps.config.users);
  }

  /** Creates the broker and listens on `host:port` (TLS when `tls` is configured; port 0 picks one). */
  async start(): Promise<void> {
    if (this.server) throw new Error('local broker already started');
    const broker = await Aedes.createBroker({
      connectTimeout: CONNECT_TIMEOUT_MS,
      drainTimeout: 30_000,
      maxTopicLevels: 16,
      authenticate: (client, username, password, done) => {
        this.authenticate(client, username, password).then(
          () => done(null, true),
          (err: unknown) => done(err as AuthenticateError, false),
        );
      },
      authorizePublish: (client, packet, done) => done(this.authorizePublish(client, packet)),
      authorizeSubscribe: (client, sub, done) => {
        const user = this.userOf(client);
        if (user && canSubscribe(user, sub.topic)) return done(null, sub);
        this.refuse('subscribe_denied', { user: this.connByClient.get(client)?.username, filter: sub.topic });
        done(null, null);
      },
      published: (packet, client, done) => {
        this.published(packet, client);
        done(null);
      },
    });
    broker.on('clientError', (client, err) => {
      this.log.debug({ client: client.id, err: err.message }, 'client error');
    });
    broker.on('connectionError', (client, err) => {
      this.log.debug({ client: client.id, err: err.message }, 'connection error');
    });
    this.broker = broker;
    for (const sub of this.internalSubs) broker.subscribe(sub.filter, sub.deliver, () => {});

    const { tls } = this.config;
    let server: Server;
    if (tls) {
      const [cert, key] = await Promise.all([readFile(tls.cert_file), readFile(tls.key_file)]);
      const tlsServer = createTlsServer({ cert, key, minVersion: 'TLSv1.2' });
      tlsServer.on('secureConnection', (socket) => this.attach(socket));
      tlsServer.on('tlsClientError', (err, socket) => {
        this.refuse('tls_error', { address: normalizeAddress(socket.remoteAddress), err: err.message });
      });
      server = tlsServer;
    } else {
      server = createServer();
    }
    // Admission (blocked address, connection cap) happens on the raw TCP socket, before any TLS
    // handshake or MQTT parsing is spent on it.
    server.on('connection', (socket: Socket) => this.admit(socket, !tls));
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
    if (!addr || typeof addr === 'string') throw new Error('local broker is not listening');
    return addr;
  }

  /** Stops listening, disconnects every client and closes the broker. */
  async stop(): Promise<void> {
    const server = this.server;
    const broker = this.broker;
    this.server = undefined;
    this.broker = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const conn of this.conns) conn.socket.destroy();
    this.conns.clear();
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
    const clients: Record<BrokerRole, number> = { node: 0, siren: 0, viewer: 0, admin: 0 };
    for (const conn of this.conns) {
      const user = conn.username === undefined ? undefined : this.users.get(conn.username);
      if (user && conn.client?.connected) clients[user.role]++;
    }
    this.sweep(this.deps.clock.now());
    return {
      clients,
      connections: this.conns.size,
      authFailures: this.authFailures,
      blockedAddresses: this.blockedUntil.size,
      refused: { ...this.refused },
    };
  }

  // ---- LocalBus: the gateway's own traffic, not subject to client ACLs ----

  publish(topic: string, payload: string | Buffer, opts?: { retain?: boolean; qos?: 0 | 1 }): Promise<void> {
    const broker = this.broker;
    if (!broker) return Promise.reject(new Error('local broker is not started'));
    if (!isPlainTopic(topic)) return Promise.reject(new Error(`cannot publish to "${topic}"`));
    const packet: PublishPacket = {
      cmd: 'publish',
      topic,
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
      qos: opts?.qos ?? 0,
      retain: opts?.retain ?? false,
      dup: false,
    };
    return new Promise((resolve, reject) => broker.publish(packet, (err) => (err ? reject(err) : resolve())));
  }

  subscribe(filter: string, handler: (topic: string, payload: Buffer) => void): () => void {
    if (!isValidFilter(filter)) throw new Error(`invalid topic filter "${filter}"`);
    const sub: InternalSub = {
      filter,
      deliver: (packet, cb) => {
        try {
          handler(
            packet.topic,
            Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
          );
        } catch (err) {
          this.log.error({ err, topic: packet.topic }, 'local bus handler failed');
        }
        cb();
      },
    };
    this.internalSubs.add(sub);
    this.broker?.subscribe(filter, sub.deliver, () => {});
    return () => {
      if (!this.internalSubs.delete(sub)) return;
      this.broker?.unsubscribe(filter, sub.deliver, () => {});
    };
  }

  // ---- internals ----

  private setUsers(users: readonly BrokerUser[]): void {
    this.users = new Map(users.map((u) => [u.username, u]));
  }

  private refuse(reason: BrokerRefusal, fields: Record<string, unknown>): void {
    this.refused[reason] = (this.refused[reason] ?? 0) + 1;
    this.deps.count(reason);
    this.log.warn({ reason, ...fields }, 'local broker refused');
  }

  private admit(socket: Socket, handleNow: boolean): void {
    const address = normalizeAddress(socket.remoteAddress);
    const now = this.deps.clock.now();
    const until = this.blockedUntil.get(address);
    if (until !== undefined && until > now) {
      this.refuse('auth_blocked', { address });
      socket.destroy();
      return;
    }
    if (this.conns.size >= this.config.max_connections) {
      this.refuse('too_many_connections', { address, max: this.config.max_connections });
      socket.destroy();
      return;
    }
    const conn: Conn = { socket, address };
    this.conns.add(conn);
    socket.once('close', () => this.conns.delete(conn));
    socket.on('error', () => {}); // reported through aedes or simply a closed socket
    if (handleNow) this.attach(socket, conn);
  }

  /** Hands an admitted (and, with TLS, handshaken) socket to aedes behind the frame-size guard. */
  private attach(socket: Socket, known?: Conn): void {
    const broker = this.broker;
    let conn = known;
    if (!conn) {
      // TLS: find the raw-socket record by address/port (the TLS socket wraps it).
      for (const c of this.conns) {
        if (c.socket.remotePort === socket.remotePort && c.socket.remoteAddress === socket.remoteAddress)
          conn = c;
      }
    }
    if (!broker || !conn) {
      socket.destroy();
      return;
    }
    const client = broker.handle(socket);
    conn.client = client;
    this.connByClient.set(client, conn);
    const guard = new FrameSizeGuard(this.config.max_payload_bytes + FRAME_OVERHEAD_BYTES);
    // aedes reads in paused mode ('readable' + read()); a 'data' listener then only observes the
    // chunks aedes reads, just before it parses them.
    socket.on('data', (chunk: Buffer) => {
      if (!guard.accept(chunk)) {
        this.refuse('too_large', { address: conn.address, user: conn.username });
        socket.destroy();
      }
    });
  }

  private async authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<void> {
    const conn = this.connByClient.get(client);
    const address = conn?.address ?? 'unknown';
    const user = username === undefined ? undefined : this.users.get(username);
    const ok = await verifyPassword(password ?? Buffer.alloc(0), user?.password_hash ?? DUMMY_HASH);
    if (!user || !ok || password === undefined || !conn) {
      this.authFailed(address, username);
      throw authError(username === undefined ? 5 : 4, 'bad user name or password');
    }
    // A client id identifies a session: refuse taking over one that belongs to another user
    // (a viewer must not be able to kick a siren off by reusing its id).
    for (const other of this.conns) {
      if (other !== conn && other.client?.id === client.id && other.username !== undefined) {
        if (other.username !== user.username) {
          this.refuse('client_id_in_use', { address, user: user.username, client: client.id });
          throw authError(2, 'client id in use by another user');
        }
      }
    }
    conn.username = user.username;
    this.log.info(
      { user: user.username, role: user.role, address, client: client.id },
      'client authenticated',
    );
  }

  private authFailed(address: string, username: string | undefined): void {
    const now = this.deps.clock.now();
    this.authFailures++;
    this.refuse('auth_failed', { address, user: username ?? null });
    const recent = (this.failures.get(address) ?? []).filter((t) => now - t < AUTH_WINDOW_MS);
    recent.push(now);
    this.failures.set(address, recent);
    if (recent.length >= this.config.auth_fail_limit) {
      this.blockedUntil.set(address, now + AUTH_BLOCK_MS);
      this.failures.delete(address);
      this.log.warn({ address, minutes: AUTH_BLOCK_MS / 60_000 }, 'too many auth failures: address blocked');
    }
    if (this.failures.size + this.blockedUntil.size > MAX_TRACKED_ADDRESSES) this.sweep(now);
  }

  private sweep(now: number): void {
    for (const [address, until] of this.blockedUntil) if (until <= now) this.blockedUntil.delete(address);
    for (const [address, times] of this.failures) {
      if (times.every((t) => now - t >= AUTH_WINDOW_MS)) this.failures.delete(address);
    }
  }

  private userOf(client: Client | null): BrokerUser | undefined {
    const username = client ? this.connByClient.get(client)?.username : undefined;
    return username === undefined ? undefined : this.users.get(username);
  }

  private authorizePublish(client: Client | null, packet: PublishPacket): Error | null {
    const conn = client ? this.connByClient.get(client) : undefined;
    const user = this.userOf(client);
    if (!user || !canPublish(user, packet.topic)) {
      this.refuse('publish_denied', { user: conn?.username, topic: packet.topic });
      return new Refused('publish_denied');
    }
    const size =
      typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
    if (size > this.config.max_payload_bytes) {
      this.refuse('too_large', { user: user.username, topic: packet.topic, bytes: size });
      return new Refused('too_large');
    }
    return null;
  }

  private published(packet: AedesPublishPacket, client: Client | null): void {
    if (!client) return; // the gateway's own publishes
    const nodeId = nodeIdOfUpTopic(packet.topic);
    if (nodeId === undefined) return;
    const user = this.userOf(client);
    // authorizePublish already bound a node user to its own topic; re-checked here because this
    // is what turns bytes into readings.
    const allowed = user?.role === 'admin' || (user?.role === 'node' && user.node === nodeId);
    if (!allowed) return;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    try {
      this.deps.onNodePayload(nodeId, payload);
    } catch (err) {
      this.log.error({ err, node: nodeId }, 'node payload handler failed');
    }
  }
}
