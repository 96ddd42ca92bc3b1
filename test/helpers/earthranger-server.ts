import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestPki } from './tls-cert.js';

/** One request as the server saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  /** `Authorization` or `apikey`, whichever came */
  credential: string | undefined;
  body: unknown;
  /** What the server answered. */
  status: number;
}

/** An event as the server keeps it: the first body, each PATCH merged over it. */
export interface StoredEvent {
  id: string;
  via: 'er' | 'gundi';
  fields: Record<string, unknown>;
  patches: Record<string, unknown>[];
}

/** A programmed answer for the next request(s), before any check. */
export type Trouble = { status: number; body?: string } | { delayMs: number };

/**
 * A local HTTPS server speaking both APIs the adapter uses, as documented:
 * - EarthRanger: `POST /api/v1.0/activity/events/` and `PATCH /api/v1.0/activity/event/<id>/`
 *   with `Authorization: Bearer <token>`; answers `{data: {...event, id}, status: {code, message}}`;
 *   an `event_type` the site does not know is a 400 naming it;
 * - Gundi v2: `POST /v2/events/` with a list of events and `PATCH /v2/events/<object_id>/`, header
 *   `apikey`; answers `[{object_id, created_at}]`.
 * A wrong credential is a 401. `trouble()` programs 500s or slow answers for the next requests.
 */
export class FakeEarthRanger {
  readonly events = new Map<string, StoredEvent>();
  readonly seen: SeenRequest[] = [];
  /** Requests that arrived, answered or not yet. */
  received = 0;
  /** Valid Bearer tokens (ER) and API keys (Gundi). */
  readonly tokens = new Set<string>();
  readonly eventTypes = new Set<string>(['elephant_alert']);
  private readonly troubles: Trouble[] = [];
  private server: Server | undefined;
  url = '';

  constructor(tokens: string[]) {
    for (const t of tokens) this.tokens.add(t);
  }

  async start(pki: TestPki): Promise<void> {
    this.server = createServer({ cert: readFileSync(pki.cert), key: readFileSync(pki.key) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void this.handle(
          req.method ?? '',
          req.url ?? '',
          req.headers,
          Buffer.concat(chunks).toString('utf8'),
        ).then(({ status, body }) => {
          if (res.destroyed || req.socket.destroyed) return;
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(body);
        });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** The next requests meet these, in order (a 500, a slow answer), before anything else. */
  trouble(...t: Trouble[]): void {
    this.troubles.push(...t);
  }

  /** Requests that changed something (2xx), in order: `POST`, `PATCH <id>`. */
  accepted(): SeenRequest[] {
    return this.seen.filter((s) => s.status >= 200 && s.status < 300);
  }

  private async handle(
    method: string,
    path: string,
    headers: Record<string, string | string[] | undefined>,
    text: string,
  ): Promise<{ status: number; body: string }> {
    this.received++;
    const gundi = path.startsWith('/v2/');
    const credential = gundi ? str(headers.apikey) : str(headers.authorization);
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const answer = await this.answer(method, path, gundi, credential, body);
    // A client that gave up (timeout) never learns the answer, and nothing was stored: see answer().
    this.seen.push({ method, path, credential, body, status: answer.status });
    return answer;
  }

  private async answer(
    method: string,
    path: string,
    gundi: boolean,
    credential: string | undefined,
    body: unknown,
  ): Promise<{ status: number; body: string }> {
    const t = this.troubles.shift();
    if (t && 'delayMs' in t) {
      // Slow: the answer comes after the client gave up; the request is dropped unprocessed.
      await new Promise((r) => setTimeout(r, t.delayMs));
      return { status: 504, body: '{"detail":"gateway timeout"}' };
    }
    if (t) return { status: t.status, body: t.body ?? '{"detail":"server error"}' };
    const token = gundi ? credential : credential?.replace(/^Bearer /, '');
    if (token === undefined || !this.tokens.has(token))
      return gundi
        ? { status: 401, body: '{"detail":"Invalid API Key"}' }
        : { status: 401, body: '{"detail":"Authentication credentials were not provided or are invalid."}' };
    return gundi ? this.gundi(method, path, body) : this.er(method, path, body);
  }

  private er(method: string, path: string, body: unknown): { status: number; body: string } {
    const o = (body ?? {}) as Record<string, unknown>;
    if (method === 'POST' && path === '/api/v1.0/activity/events/') {
      const bad = this.badType(o);
      if (bad) return bad;
      const id = randomUUID();
      this.events.set(id, { id, via: 'er', fields: { ...o }, patches: [] });
      return {
        status: 201,
        body: JSON.stringify({ data: { ...o, id }, status: { code: 201, message: 'Created' } }),
      };
    }
    const m = /^\/api\/v1\.0\/activity\/event\/([^/]+)\/$/.exec(path);
    if (method === 'PATCH' && m) return this.patch(decodeURIComponent(m[1] ?? ''), o, false);
    return { status: 404, body: '{"detail":"Not found."}' };
  }

  private gundi(method: string, path: string, body: unknown): { status: number; body: string } {
    if (method === 'POST' && path === '/v2/events/') {
      if (!Array.isArray(body)) return { status: 400, body: '{"detail":"Expected a list of events"}' };
      const out = [];
      for (const e of body as Record<string, unknown>[]) {
        const bad = this.badType(e);
        if (bad) return bad;
        const id = randomUUID();
        this.events.set(id, { id, via: 'gundi', fields: { ...e }, patches: [] });
        out.push({ object_id: id, created_at: new Date().toISOString() });
      }
      return { status: 200, body: JSON.stringify(out) };
    }
    const m = /^\/v2\/events\/([^/]+)\/$/.exec(path);
    if (method === 'PATCH' && m)
      return this.patch(decodeURIComponent(m[1] ?? ''), (body ?? {}) as never, true);
    return { status: 404, body: '{"detail":"Not Found"}' };
  }

  private badType(o: Record<string, unknown>): { status: number; body: string } | undefined {
    if (typeof o.event_type === 'string' && this.eventTypes.has(o.event_type)) return undefined;
    return {
      status: 400,
      body: JSON.stringify({ event_type: [`Object with value=${String(o.event_type)} does not exist.`] }),
    };
  }

  private patch(id: string, o: Record<string, unknown>, gundi: boolean): { status: number; body: string } {
    const e = this.events.get(id);
    if (!e) return { status: 404, body: '{"detail":"Not found."}' };
    e.patches.push(o);
    Object.assign(e.fields, o);
    const answer = gundi
      ? { object_id: id, ...e.fields }
      : { data: { ...e.fields, id }, status: { code: 200 } };
    return { status: 200, body: JSON.stringify(answer) };
  }
}

function str(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Node's built-in fetch with a dispatcher that trusts `caPem`: an undici Agent with
 * `connect: { ca }`, as a site with its own CA would use. Node 20 bundles undici without
 * exporting it; its Agent class is the global dispatcher's, which exists once fetch has loaded.
 */
export async function fetchTrusting(caPem: string): Promise<typeof fetch> {
  await (await fetch('data:,loaded')).text();
  const global = (globalThis as Record<symbol, unknown>)[Symbol.for('undici.globalDispatcher.1')];
  const Agent = (global as { constructor: new (o: unknown) => unknown } | undefined)?.constructor;
  if (Agent === undefined) throw new Error("cannot find Node's bundled undici Agent");
  const dispatcher = new Agent({ connect: { ca: caPem } });
  return ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    fetch(input, { ...init, dispatcher } as RequestInit)) as typeof fetch;
}
