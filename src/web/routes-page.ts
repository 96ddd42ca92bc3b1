import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { lastLevelEvents } from '../store/events.js';
import { must } from '../util/must.js';
import { csrfFor, visitorOf } from './access.js';
import { ASSET_FILES } from './assets.js';
import type { WebContext } from './context.js';
import { escapeHtml, pageLayout, scriptJson } from './layout.js';

/** Only our own files run; nothing is fetched from elsewhere (there may be no internet). */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** How far back the page looks for why a zone is at its level (a zone stays raised for hours, not weeks). */
const LEVEL_LOOKBACK_MS = 7 * 86_400_000;

/** `GET /` and its two files. The page itself opens even when looking needs a login: it holds the form. */
export function pageRoutes(app: FastifyInstance, c: WebContext): void {
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('content-security-policy', CSP);
    return payload;
  });

  const html = must(c.assets.get('index.html'), 'index.html').body.toString('utf8');
  app.get('/', async (req, reply) => {
    const config = c.config();
    const v = visitorOf(req, c.sessions, config);
    const csrf = csrfFor(v, c.sessions, reply, c.secure);
    const now = c.clock.now();
    const levels = lastLevelEvents(c.db, now - LEVEL_LOOKBACK_MS, now + 1);
    const layout = pageLayout(config, levels, Boolean(c.services.alerts));
    const page = html
      .replace('%CSRF%', escapeHtml(csrf))
      .replaceAll('%TITLE%', escapeHtml(config.gateway.site.name))
      .replace('{"layout":"LAYOUT"}', scriptJson(layout));
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(page);
  });

  // Browsers ask for it on their own; a 404 would only fill the console.
  app.get('/favicon.ico', (_req, reply) => reply.code(204).send());

  for (const name of Object.keys(ASSET_FILES).filter((n) => n !== 'index.html')) {
    const asset = must(c.assets.get(name), name);
    app.get(`/assets/${name}`, (req: FastifyRequest, reply: FastifyReply) => {
      reply.header('etag', asset.etag).header('cache-control', 'no-cache');
      if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
      return reply.header('content-type', asset.type).send(asset.body);
    });
  }
}
