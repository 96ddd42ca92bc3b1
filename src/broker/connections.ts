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
}

export interface ConnectionsDeps {
  /** The running broker that takes admitted sockets; undefined once stopped. */
  broker(): Aedes | undefined;
  /** Whether the address is refused after too many auth failures. */
  isBlocked(address: string): boolean;
  /** The current limits (they follow a config reload). */
  limits(): { max_connections: number; max_payload_bytes: number };
  refuse(reason: BrokerRefusal, fields: Record<string, unknown>): void;
}

/**
 * The broker's open sockets. Admission (blocked address, connection cap) happens on the raw TCP
 * socket, before any TLS handshake or MQTT parsing is spent on it; an admitted socket is handed to
 * aedes behind a guard that cuts off packets larger than the payload limit allows.
 */
export class Connections implements Iterable<Conn> {
  private readonly conns = new Set<Conn>();
  private readonly byClient = new WeakMap<Client, Conn>();

  constructor(private readonly deps: ConnectionsDeps) {}

  get size(): number {
    return this.conns.size;
  }

  [Symbol.iterator](): Iterator<Conn> {
    return this.conns[Symbol.iterator]();
  }

  of(client: Client | null): Conn | undefined {
    return client ? this.byClient.get(client) : undefined;
  }

  /** Destroys every socket and forgets them. */
  destroyAll(): void {
    for (const conn of this.conns) conn.socket.destroy();
    this.conns.clear();
  }

  /** A new TCP connection: refused, or recorded (and handed to aedes now unless TLS comes first). */
  admit(socket: Socket, handleNow: boolean): void {
    const address = normalizeAddress(socket.remoteAddress);
    if (this.deps.isBlocked(address)) {
      this.deps.refuse('auth_blocked', { address });
      socket.destroy();
      return;
    }
    const { max_connections } = this.deps.limits();
    if (this.conns.size >= max_connections) {
      this.deps.refuse('too_many_connections', { address, max: max_connections });
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
}
