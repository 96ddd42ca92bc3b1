import { createServer } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Clock } from '../domain/index.js';
import { type Db, openDb } from '../store/db.js';
import type { WebApp, WebOptions } from '../web/server.js';
import type { Live } from './control-api.js';
import type { Counters } from './counters.js';
import type { GatewayServices } from './services.js';
import type { Rollback } from './startup.js';

export interface WebParts {
  config: () => Config;
  services: GatewayServices;
  feed: { subscribe(f: (l: Live) => void): () => void };
  clock: Clock;
  log: Logger;
  counters: Counters;
  rollback: Rollback;
  /** Overrides `web.port` (0 = any free port): the demo and tests. */
  port?: number | undefined;
  options?: WebOptions;
}

/** The village screen as the gateway runs it: started, reconfigured on SIGHUP, stopped. */
export interface RunningWeb {
  /** Where it listens, or undefined while `web.enabled` is false. */
  address(): { host: string; port: number; url: string } | undefined;
  reconfigure(next: Config): Promise<void>;
  stop(): Promise<void>;
  /** The running app (tests: sessions, the stream's clients). */
  readonly app: WebApp | undefined;
}

/** `port` when it can be bound on `host` now, else 0 (any free port): the demo beside a real gateway. */
export function preferredPort(host: string, port: number): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(0));
    probe.listen({ host, port }, () => probe.close(() => resolve(port)));
  });
}

const listenKey = (c: Config) => JSON.stringify([c.web.enabled, c.web.host, c.web.port, c.web.tls]);

/**
 * Starts the page's server when `web.enabled`. A reload that changes where it listens restarts
 * it (a bind that then fails is logged and leaves the page off; the gateway goes on); anything
 * else (`public_view`, users, zones) is read live by the routes.
 */
export async function startWeb(p: WebParts): Promise<RunningWeb> {
  const log = p.log.child({ c: 'web' });
  let app: WebApp | undefined;
  let db: Db | undefined;
  let key = listenKey(p.config());
  let url: { host: string; port: number; url: string } | undefined;

  const close = async () => {
    const a = app;
    app = undefined;
    url = undefined;
    // Open streams first: the server's close waits for every connection, and a page keeps one.
    a?.hub.stop();
    await a?.app.close();
    db?.close();
    db = undefined;
  };

  const open = async (config: Config) => {
    if (!config.web.enabled) return;
    // fastify and the page's code load only when the page is on: a gateway without it keeps the memory.
    const { buildWebApp } = await import('../web/server.js');
    db = openDb(config.storage.path, { readonly: true });
    const readDb = db;
    app = buildWebApp(
      {
        config: p.config,
        services: p.services,
        db: readDb,
        subscribe: p.feed.subscribe,
        clock: p.clock,
        log,
        count: (name) => p.counters.count('web', name),
      },
      p.options,
    );
    const port = p.port ?? config.web.port;
    await app.app.listen({ host: config.web.host, port });
    const bound = app.app.server.address();
    const actual = typeof bound === 'object' && bound ? bound.port : port;
    const shown = config.web.host === '0.0.0.0' || config.web.host === '::' ? '127.0.0.1' : config.web.host;
    url = {
      host: config.web.host,
      port: actual,
      url: `${config.web.tls ? 'https' : 'http'}://${shown.includes(':') ? `[${shown}]` : shown}:${actual}/`,
    };
    log.info({ host: config.web.host, port: actual }, 'village screen listening');
  };

  const config = p.config();
  await p.rollback.listen(
    { proto: 'tcp', key: 'web.port', port: p.port ?? config.web.port, host: config.web.host },
    () => open(config),
    'web',
    close,
  );

  return {
    address: () => url,
    get app() {
      return app;
    },
    reconfigure: async (next) => {
      const nextKey = listenKey(next);
      if (nextKey === key) return;
      key = nextKey;
      await close();
      try {
        await open(next);
      } catch (e) {
        log.warn({ err: e }, 'village screen could not start with the new config; it stays off');
        await close();
      }
    },
    stop: close,
  };
}
