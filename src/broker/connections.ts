import type { Socket } from 'node:net';
import type { Aedes, Client } from 'aedes';
import { FRAME_OVERHEAD_BYTES, FrameSizeGuard, normalizeAddress } from './limits.js';
import type { BrokerRefusal } from './refusals.js';

/** One admitted socket, and once aedes handles it, its client and (once authenticated) user. */
export interface Conn {
  socket: Socket;
  address: string;
  client?: Client;
  /** Set once the client authenticated. */
  username?: string;
  /** Not yet logged in: counts against the pending caps. */
  pending: boolean;
  /** Closes the socket unless a login begins in time. */
  deadline?: NodeJS.Timeout;
}

export interface AdmissionLimits {
  max_connections: number;
  max_payload_bytes: number;
  connect_timeout_s: number;
  max_pending_per_address: number;
  max_pending_share: number;
}

export interface ConnectionsDeps {
  /** The running broker that takes admitted sockets; undefined once stopped. */
  broker(): Aedes | undefined;
  /** Whether the address is refused after too many auth failures. */
  isBlocked(address: string): boolean;
  /** The current limits (they follow a config reload). */
  limits(): AdmissionLimits;
  refuse(reason: BrokerRefusal, fields: Record<string, unknown>): void;
  /** A socket of `address` was closed for not beginning to log in within `connect_timeout_s`. */
  timedOut(address: string): void;
}

/** Pending sockets allowed over all addresses: a share of max_connections, at least one. */
export function maxPendingTotal(
  limits: Pick<AdmissionLimits, 'max_connections' | 'max_pending_share'>,
): number {
  return Math.max(1, Math.floor(limits.max_connections * limits.max_pending_share));
}

/**
 * Pending sockets allowed per address: `max_pending_per_address`, but never more than half the
 * total, or one address could fill the total cap and keep every other address out.
 */
export function maxPendingPerAddress(limits: AdmissionLimits): number {
  return Math.max(1, Math.min(limits.max_pending_per_address, Math.floor(maxPendingTotal(limits) / 2)));
}

/**
 * The broker's open sockets. Admission (blocked address, connection cap, pending caps) happens on
 * the raw TCP socket, before any TLS handshake or MQTT parsing is spent on it; an admitted socket
 * is handed to aedes behind a guard that cuts off packets larger than the payload limit allows.
 *
 * Sockets not yet logged in are capped per address and in total, and must begin to log in within
 * `connect_timeout_s` (TLS handshake included): silent sockets, reopened as they close, would
 * otherwise fill `max_connections` and keep every node out.
 */
export class Connections implements Iterable<Conn> {
  private readonly conns = new Set<Conn>();
  private readonly byClient = new WeakMap<Client, Conn>();
  private readonly pendingByAddress = new Map<string, number>();
  private pendingTotal = 0;

  constructor(private readonly deps: ConnectionsDeps) {}

  get size(): number {
    return this.conns.size;
  }

  /** Sockets not yet logged in. */
  get pending(): number {
    return this.pendingTotal;
  }

  [Symbol.iterator](): Iterator<Conn> {
    return this.conns[Symbol.iterator]();
  }

  of(client: Client | null): Conn | undefined {
    return client ? this.byClient.get(client) : undefined;
  }

  /** Destroys every socket and forgets them. */
  destroyAll(): void {
    for (const conn of [...this.conns]) {
      this.settle(conn);
      conn.socket.destroy();
    }
    this.conns.clear();
  }

  /** A CONNECT arrived and its login begins: the socket is no longer silent. */
  loginBegins(conn: Conn): void {
    clearTimeout(conn.deadline);
    delete conn.deadline;
  }

  /** The login succeeded: the socket leaves the pending caps. */
  loggedIn(conn: Conn): void {
    this.settle(conn);
  }

  /** A new TCP connection: refused, or recorded (and handed to aedes now unless TLS comes first). */
  admit(socket: Socket, handleNow: boolean): void {
    const address = normalizeAddress(socket.remoteAddress);
    if (this.deps.isBlocked(address)) {
      this.deps.refuse('auth_blocked', { address });
      socket.destroy();
      return;
    }
    const limits = this.deps.limits();
    if (this.conns.size >= limits.max_connections) {
      this.deps.refuse('too_many_connections', { address, max: limits.max_connections });
      socket.destroy();
      return;
    }
    const ofAddress = this.pendingByAddress.get(address) ?? 0;
    const maxTotal = maxPendingTotal(limits);
    const maxOfAddress = maxPendingPerAddress(limits);
    if (ofAddress >= maxOfAddress || this.pendingTotal >= maxTotal) {
      this.deps.refuse('too_many_pending', {
        address,
        ofAddress,
        total: this.pendingTotal,
        max: ofAddress >= maxOfAddress ? maxOfAddress : maxTotal,
      });
      socket.destroy();
      return;
    }
    const conn: Conn = { socket, address, pending: true };
    this.conns.add(conn);
    this.pendingByAddress.set(address, ofAddress + 1);
    this.pendingTotal++;
    conn.deadline = setTimeout(() => {
      delete conn.deadline;
      if (!conn.pending || socket.destroyed) return;
      this.deps.refuse('connect_timeout', { address, s: limits.connect_timeout_s });
      this.deps.timedOut(address);
      socket.destroy();
    }, limits.connect_timeout_s * 1000);
    socket.once('close', () => {
      this.settle(conn);
      this.conns.delete(conn);
    });
    socket.on('error', () => {}); // reported through aedes or simply a closed socket
    if (handleNow) this.attach(socket, conn);
  }

  /** Hands an admitted (and, with TLS, handshaken) socket to aedes behind the frame-size guard. */
  attach(socket: Socket, known?: Conn): void {
    const broker = this.deps.broker();
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
    this.byClient.set(client, conn);
    const guard = new FrameSizeGuard(this.deps.limits().max_payload_bytes + FRAME_OVERHEAD_BYTES);
    // aedes reads in paused mode ('readable' + read()); a 'data' listener then only observes the
    // chunks aedes reads, just before it parses them.
    socket.on('data', (chunk: Buffer) => {
      if (!guard.accept(chunk)) {
        this.deps.refuse('too_large', { address: conn.address, user: conn.username });
        socket.destroy();
      }
    });
  }

  /** Takes `conn` out of the pending caps and stops its deadline (once). */
  private settle(conn: Conn): void {
    clearTimeout(conn.deadline);
    delete conn.deadline;
    if (!conn.pending) return;
    conn.pending = false;
    this.pendingTotal--;
    const left = (this.pendingByAddress.get(conn.address) ?? 1) - 1;
    if (left <= 0) this.pendingByAddress.delete(conn.address);
    else this.pendingByAddress.set(conn.address, left);
  }
}
