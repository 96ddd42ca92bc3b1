import type { ServerResponse } from 'node:http';
import type { Clock } from '../domain/index.js';
import type { Live } from '../gateway/control-api.js';

export interface SseRules {
  /** Bytes a client may leave unread before it is dropped (a phone that went to sleep mid-stream). */
  maxBufferBytes: number;
  /** A comment line this often, so the page notices a dead link and proxies keep the stream open. */
  pingMs: number;
  /** A node's readings closer together than this are not streamed (at most 2 per second per node). */
  readingGapMs: number;
}

export const DEFAULT_SSE_RULES: SseRules = { maxBufferBytes: 64 * 1024, pingMs: 10_000, readingGapMs: 500 };

export interface SseDeps {
  clock: Clock;
  subscribe(f: (l: Live) => void): () => void;
  /** Counts streams cut off for not reading (`web: sse_dropped` among the refusals of `siaga status`). */
  count(name: 'sse_dropped'): void;
  rules?: Partial<SseRules>;
}

/**
 * `/api/stream`: the gateway's live feed as Server-Sent Events, one shared subscription for every
 * open page. Events go out as they happen (`event: event`); readings at most twice a second per
 * node (`event: reading`), because a phone needs "the node is alive", not every PIR frame.
 */
export class SseHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly lastReading = new Map<string, number>();
  private readonly rules: SseRules;
  private unsubscribe: (() => void) | undefined;
  private pinger: NodeJS.Timeout | undefined;
  /** Clients dropped for not reading, since start. */
  dropped = 0;

  constructor(private readonly deps: SseDeps) {
    this.rules = { ...DEFAULT_SSE_RULES, ...deps.rules };
  }

  start(): void {
    this.unsubscribe = this.deps.subscribe((l) => this.onLive(l));
    this.pinger = setInterval(() => this.broadcast(': ping\n\n'), this.rules.pingMs);
    this.pinger.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Takes over a response: headers, a retry hint, and then the feed until either side closes. */
  add(res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.clients.add(res);
    const forget = () => this.clients.delete(res);
    res.on('close', forget);
    res.on('error', forget);
    this.write(res, `retry: 2000\nevent: hello\ndata: ${JSON.stringify({ ts: this.deps.clock.now() })}\n\n`);
  }

  stop(): void {
    this.unsubscribe?.();
    clearInterval(this.pinger);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private onLive(l: Live): void {
    if (this.clients.size === 0) return;
    if (l.kind === 'reading') {
      const now = this.deps.clock.now();
      const last = this.lastReading.get(l.reading.node);
      if (last !== undefined && now - last < this.rules.readingGapMs && now >= last) return;
      this.lastReading.set(l.reading.node, now);
      this.broadcast(`event: reading\ndata: ${JSON.stringify(l.reading)}\n\n`);
    } else {
      this.broadcast(`event: event\ndata: ${JSON.stringify(l.event)}\n\n`);
    }
  }

  private broadcast(text: string): void {
    for (const res of this.clients) this.write(res, text);
  }

  private write(res: ServerResponse, text: string): void {
    if (res.destroyed) return;
    res.write(text);
    // A client that stops reading must not hold the gateway's memory: past the bound it is cut
    // off; its EventSource reconnects and reloads the state when it reads again.
    if (res.writableLength > this.rules.maxBufferBytes) {
      this.clients.delete(res);
      this.dropped++;
      this.deps.count('sse_dropped');
      res.destroy();
    }
  }
}
