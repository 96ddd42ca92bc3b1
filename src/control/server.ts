import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { isSiagaError, StartupError } from '../domain/index.js';
import { errorMessage } from '../util/errors.js';
import {
  type ControlRequest,
  type ControlResponse,
  MAX_REQUEST_BYTES,
  MAX_STREAM_BUFFER_BYTES,
} from './protocol.js';

export type Handler = (params: Record<string, unknown>) => unknown;
/** Starts a stream for one client; returns the function that stops it. */
export type StreamHandler = (params: Record<string, unknown>, send: (item: unknown) => void) => () => void;

export interface ControlServerDeps {
  path: string;
  log: Logger;
  handlers: Record<string, Handler>;
  streams: Record<string, StreamHandler>;
  /** Bytes a stream client may have queued before items are dropped for it. */
  maxStreamBufferBytes?: number;
}

/**
 * Own keys only: a method named `__proto__`, `constructor` or `toString` must be an unknown
 * method, not whatever Object.prototype holds under that name (which crashed the gateway).
 */
function lookup<T>(table: Record<string, T>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

function isParams(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Unix-socket server the CLI talks to (status, tail, sirens). Mode 0660 so members of the
 * `siaga` group may use it and nobody else; a stale socket file from a crash is replaced, a live
 * one (another gateway running) is refused.
 */
export class ControlServer {
  private server: Server | undefined;
  private readonly clients = new Set<Socket>();

  constructor(private readonly deps: ControlServerDeps) {}

  async start(): Promise<void> {
    const { path } = this.deps;
    if (existsSync(path)) {
      if (await isLive(path))
        throw new StartupError(
          `another siaga gateway is already running (control socket ${path} answers); stop it first (sudo systemctl stop siaga)`,
        );
      unlinkSync(path);
    }
    const server = createServer((sock) => this.onClient(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(path, 0o660);
    this.server = server;
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.destroy();
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private onClient(sock: Socket): void {
    this.clients.add(sock);
    let buf = '';
    const stops: (() => void)[] = [];
    const send = (msg: ControlResponse) => {
      if (!sock.destroyed) sock.write(`${JSON.stringify(msg)}\n`);
    };
    const limit = this.deps.maxStreamBufferBytes ?? MAX_STREAM_BUFFER_BYTES;
    // Per stream id: items dropped since the client last kept up.
    const missed = new Map<number, number>();
    const sendMissed = () => {
      for (const [id, n] of missed) send({ id, missed: n });
      missed.clear();
    };
    // A slow or paused client (`siaga tail` in a stopped terminal) gets items dropped and
    // counted instead of the gateway buffering them all; it is told how many once it reads again.
    const sendItem = (id: number, item: unknown) => {
      if (sock.destroyed) return;
      if (sock.writableLength >= limit) {
        missed.set(id, (missed.get(id) ?? 0) + 1);
        return;
      }
      if (missed.size > 0) sendMissed();
      send({ id, stream: item });
    };
    sock.on('drain', () => {
      if (missed.size > 0) sendMissed();
    });
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_REQUEST_BYTES) {
        sock.destroy();
        return;
      }
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim())
          this.onRequest(line, send, sendItem, stops).catch((err: unknown) => {
            // Never a crash from one request: log it and answer what we can.
            this.deps.log.warn({ err }, 'control request failed');
          });
        nl = buf.indexOf('\n');
      }
    });
    const cleanup = () => {
      this.clients.delete(sock);
      for (const s of stops) s();
    };
    sock.on('close', cleanup);
    sock.on('error', () => sock.destroy());
  }

  private async onRequest(
    line: string,
    send: (m: ControlResponse) => void,
    sendItem: (id: number, item: unknown) => void,
    stops: (() => void)[],
  ): Promise<void> {
    let req: ControlRequest;
    try {
      req = JSON.parse(line) as ControlRequest;
      if (
        !isParams(req) ||
        typeof req.id !== 'number' ||
        typeof req.method !== 'string' ||
        (req.params !== undefined && !isParams(req.params))
      )
        throw new Error('bad request');
    } catch {
      send({ id: -1, ok: false, error: 'malformed request' });
      return;
    }
    const { id, method } = req;
    const params = req.params ?? {};
    try {
      const stream = lookup(this.deps.streams, method);
      if (stream) {
        stops.push(stream(params, (item) => sendItem(id, item)));
        return;
      }
      const handler = lookup(this.deps.handlers, method);
      if (!handler) {
        send({ id, ok: false, error: `unknown method ${method.slice(0, 64)}` });
        return;
      }
      send({ id, ok: true, result: await handler(params) });
    } catch (e) {
      const error = errorMessage(e);
      this.deps.log.warn({ method, err: e }, 'control request failed');
      send(isSiagaError(e) ? { id, ok: false, error, code: e.exitCode } : { id, ok: false, error });
    }
  }
}

function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}
