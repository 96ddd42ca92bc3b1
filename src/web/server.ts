import { readFileSync } from 'node:fs';
import { type FastifyInstance, fastify } from 'fastify';
import type { WebConfig } from '../config/schema.js';
import { ConfigError } from '../domain/index.js';
import { type Asset, loadAssets } from './assets.js';
import type { WebContext, WebDeps } from './context.js';
import { errorHandler } from './http-errors.js';
import { WebLogin } from './login.js';
import { actionRoutes } from './routes-act.js';
import { capRoutes } from './routes-cap.js';
import { exportRoutes } from './routes-export.js';
import { pageRoutes } from './routes-page.js';
import { readRoutes } from './routes-read.js';
import { type SessionRules, Sessions } from './sessions.js';
import { SseHub, type SseRules } from './sse.js';

export interface WebOptions {
  /** Test hooks: tighter stream bounds, shorter sessions, another public folder. */
  sse?: Partial<SseRules>;
  sessions?: SessionRules;
  assets?: Map<string, Asset>;
}

export interface WebApp {
  app: FastifyInstance;
  hub: SseHub;
  sessions: Sessions;
}

function tlsOf(web: WebConfig): { key: Buffer; cert: Buffer } | undefined {
  if (!web.tls) return undefined;
  const read = (path: string, key: string) => {
    try {
      return readFileSync(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      throw new ConfigError([{ path: `web.tls.${key}`, message: `cannot read ${path} (${code})` }]);
    }
  };
  return { cert: read(web.tls.cert_file, 'cert_file'), key: read(web.tls.key_file, 'key_file') };
}

/** The village screen's HTTP server (not yet listening): fastify, its routes and the live stream. */
export function buildWebApp(deps: WebDeps, opts: WebOptions = {}): WebApp {
  const web = deps.config().web;
  const https = tlsOf(web);
  const app = fastify({
    logger: false,
    bodyLimit: 16 * 1024,
    // A phone on bad Wi-Fi may hold a request open; the stream itself is exempt (hijacked).
    requestTimeout: 30_000,
    forceCloseConnections: true,
    // An unknown parameter is a mistake to name (400), not something to drop silently.
    ajv: { customOptions: { removeAdditional: false } },
    ...(https ? { https } : {}),
  }) as unknown as FastifyInstance;
  const sessions = new Sessions(deps.clock, opts.sessions);
  const hub = new SseHub({
    clock: deps.clock,
    subscribe: deps.subscribe,
    count: (n) => deps.count(n),
    ...(opts.sse ? { rules: opts.sse } : {}),
  });
  const login = new WebLogin({
    clock: deps.clock,
    users: () => deps.config().local_broker.users,
    failLimit: () => deps.config().local_broker.auth_fail_limit,
  });
  const c: WebContext = {
    ...deps,
    sessions,
    login,
    hub,
    assets: opts.assets ?? loadAssets(),
    secure: https !== undefined,
  };
  app.setErrorHandler(errorHandler(deps.log));
  app.setNotFoundHandler((req, reply) => {
    reply
      .code(404)
      .send({ error: `no such page: ${req.method} ${req.url.split('?')[0]}`, code: 'not_found' });
  });
  pageRoutes(app, c);
  readRoutes(app, c);
  exportRoutes(app, c);
  capRoutes(app, c);
  actionRoutes(app, c);
  hub.start();
  app.addHook('onClose', async () => hub.stop());
  return { app, hub, sessions };
}
