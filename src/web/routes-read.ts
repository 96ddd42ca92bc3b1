import type { FastifyInstance } from 'fastify';
import { READING_TYPES } from '../domain/index.js';
import { queryEvents } from '../store/events.js';
import { queryReadings } from '../store/readings.js';
import { check, csrfFor, visitorOf } from './access.js';
import type { WebContext } from './context.js';
import { HttpError } from './http-errors.js';
import { timeParam } from './params.js';
import { ID_TEXT, querySchema, TIME_TEXT } from './schemas.js';

/** The GET side: the same answers as `siaga status --json`, `nodes --json`, `readings --json`. */
export function readRoutes(app: FastifyInstance, c: WebContext): void {
  const look = (req: Parameters<typeof visitorOf>[0]) => {
    const v = visitorOf(req, c.sessions, c.config());
    check('look', v, req, c.sessions, c.config());
    return v;
  };

  app.get('/api/session', async (req, reply) => {
    const v = visitorOf(req, c.sessions, c.config());
    return {
      user: v.user?.username ?? null,
      role: v.user?.role ?? null,
      can_act: v.user?.role === 'admin' || v.user?.role === 'operator',
      csrf: csrfFor(v, c.sessions, reply, c.secure),
      public_view: c.config().web.public_view,
    };
  });

  app.get('/api/status', async (req) => {
    look(req);
    return c.services.status();
  });

  app.get('/api/nodes', async (req) => {
    look(req);
    return c.services.nodes();
  });

  app.get(
    '/api/readings',
    querySchema({
      since: TIME_TEXT,
      until: TIME_TEXT,
      node: ID_TEXT,
      type: { type: 'string', enum: [...READING_TYPES] },
      limit: { type: 'integer', minimum: 1, maximum: 5000, default: 200 },
    }),
    async (req) => {
      look(req);
      const q = req.query as { since?: string; until?: string; node?: string; type?: string; limit: number };
      const config = c.config();
      const now = c.clock.now();
      if (q.node !== undefined && !config.nodes.some((n) => n.id === q.node)) {
        throw new HttpError(400, 'bad_param', `node: unknown node "${q.node}"`, 'node');
      }
      return queryReadings(c.db, {
        since: timeParam('since', q.since ?? '1h', now, config),
        ...(q.until !== undefined ? { until: timeParam('until', q.until, now, config) } : {}),
        ...(q.node !== undefined ? { node: q.node } : {}),
        ...(q.type !== undefined ? { type: q.type } : {}),
        limit: q.limit,
      });
    },
  );

  app.get(
    '/api/events',
    querySchema({ since: TIME_TEXT, limit: { type: 'integer', minimum: 1, maximum: 5000, default: 500 } }),
    async (req) => {
      look(req);
      const q = req.query as { since?: string; limit: number };
      return queryEvents(c.db, {
        since: timeParam('since', q.since ?? '24h', c.clock.now(), c.config()),
        limit: q.limit,
      });
    },
  );

  app.get('/api/incidents', async (req) => {
    look(req);
    if (!c.services.alerts) throw new HttpError(404, 'alerts_disabled', 'alerts are not enabled');
    return c.services.alerts.list();
  });

  app.get('/api/stream', (req, reply) => {
    look(req);
    reply.hijack();
    c.hub.add(reply.raw);
  });
}
