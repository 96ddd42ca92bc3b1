import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { isSiagaError } from '../domain/index.js';
import { errorMessage } from '../util/errors.js';
import { type ControlRequest, type ControlResponse, MAX_REQUEST_BYTES } from './protocol.js';

export type Handler = (params: Record<string, unknown>) => unknown;
/** Starts a stream for one client; returns the function that stops it. */
export type StreamHandler = (params: Record<string, unknown>, send: (item: unknown) => void) => () => void;

export interface ControlServerDeps {
  path: string;
  log: Logger;
  handlers: Record<string, Handler>;
  streams: Record<string, StreamHandler>;
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
        throw new Error(`another siaga gateway is already running (control socket ${path} answers)`);
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
        if (line.trim()) void this.onRequest(line, send, stops);
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
    stops: (() => void)[],
  ): Promise<void> {
    let req: ControlRequest;
    try {
      req = JSON.parse(line) as ControlRequest;
      if (typeof req.id !== 'number' || typeof req.method !== 'string') throw new Error('bad request');
    } catch {
      send({ id: -1, ok: false, error: 'malformed request' });
      return;
    }
    const params = req.params ?? {};
    const stream = this.deps.streams[req.method];
    if (stream) {
      stops.push(stream(params, (item) => send({ id: req.id, stream: item })));
      return;
    }
    const handler = this.deps.handlers[req.method];
    if (!handler) {
      send({ id: req.id, ok: false, error: `unknown method ${req.method}` });
      return;
    }
    try {
      send({ id: req.id, ok: true, result: await handler(params) });
    } catch (e) {
      const error = errorMessage(e);
      this.deps.log.warn({ method: req.method, err: error }, 'control request failed');
      send(
        isSiagaError(e)
          ? { id: req.id, ok: false, error, code: e.exitCode }
          : { id: req.id, ok: false, error },
      );
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
