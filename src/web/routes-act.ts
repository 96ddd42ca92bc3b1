import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  actor,
  check,
  csrfFor,
  type Need,
  NONCE_COOKIE,
  SESSION_COOKIE,
  type Visitor,
  visitorOf,
} from './access.js';
import type { WebContext } from './context.js';
import { serializeCookie } from './cookies.js';
import { HttpError } from './http-errors.js';
import { bodySchema, ID_TEXT } from './schemas.js';

const idParams = { type: 'object', properties: { id: ID_TEXT }, required: ['id'] } as const;

declare module 'fastify' {
  interface FastifyRequest {
    visitor?: Visitor;
  }
}

/** Who is asking, checked before the body is even read (a forged POST gets 401/403, not 415). */
function guard(c: WebContext, need: Need) {
  return async (req: FastifyRequest) => {
    const v = visitorOf(req, c.sessions, c.config());
    check(need, v, req, c.sessions, c.config());
    req.visitor = v;
  };
}

const visitor = (req: FastifyRequest): Visitor => req.visitor ?? {};

/** The buttons: log in/out, test a siren, silence and unsilence a zone, acknowledge an incident. */
export function actionRoutes(app: FastifyInstance, c: WebContext): void {
  app.post(
    '/api/login',
    {
      onRequest: guard(c, 'csrf'),
      schema: {
        body: bodySchema(
          {
            username: { type: 'string', minLength: 1, maxLength: 64 },
            password: { type: 'string', maxLength: 256 },
          },
          ['username', 'password'],
        ),
      },
    },
    async (req, reply) => {
      const { username, password } = req.body as { username: string; password: string };
      const r = await c.login.check(req.ip, username, password);
      if (!r.ok && r.why === 'throttled') {
        throw new HttpError(429, 'throttled', 'too many failed logins: wait 5 minutes and try again');
      }
      if (!r.ok) throw new HttpError(401, 'bad_credentials', 'wrong user name or password');
      c.sessions.drop(visitor(req).session?.id);
      const s = c.sessions.create(r.user.username);
      c.log.info({ user: r.user.username, address: req.ip }, 'web login');
      reply.header('set-cookie', [
        serializeCookie(SESSION_COOKIE, s.id, { secure: c.secure }),
        serializeCookie(NONCE_COOKIE, '', { secure: c.secure, maxAge: 0 }),
      ]);
      return {
        user: r.user.username,
        role: r.user.role,
        can_act: r.user.role === 'admin' || r.user.role === 'operator',
        csrf: s.csrf,
      };
    },
  );

  app.post('/api/logout', { onRequest: guard(c, 'csrf') }, async (req, reply) => {
    const v = visitor(req);
    c.sessions.drop(v.session?.id);
    reply.header('set-cookie', serializeCookie(SESSION_COOKIE, '', { secure: c.secure, maxAge: 0 }));
    return { user: null, csrf: csrfFor({}, c.sessions, reply, c.secure) };
  });

  app.post(
    '/api/sirens/:id/test',
    {
      onRequest: guard(c, 'act'),
      schema: {
        params: idParams,
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { seconds: { type: 'number', minimum: 0.5, maximum: 60 } },
        },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const seconds = (req.body as { seconds?: number } | null)?.seconds;
      if (!c.config().sirens.some((s) => s.id === id))
        throw new HttpError(404, 'unknown_siren', `unknown siren "${id}"`);
      return c.services.siren.test(id, seconds, actor(visitor(req)));
    },
  );

  const knownZone = (id: string) => {
    if (!c.config().zones.some((z) => z.id === id))
      throw new HttpError(404, 'unknown_zone', `unknown zone "${id}"`);
  };

  app.post(
    '/api/zones/:id/silence',
    {
      onRequest: guard(c, 'act'),
      schema: {
        params: idParams,
        body: bodySchema(
          {
            minutes: { type: 'integer', minimum: 1, maximum: 240 },
            reason: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' },
          },
          ['minutes', 'reason'],
        ),
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const { minutes, reason } = req.body as { minutes: number; reason: string };
      knownZone(id);
      const max = c.config().siren_policy.max_silence_min;
      if (minutes > max)
        throw new HttpError(
          400,
          'bad_param',
          `minutes: at most ${max} (siren_policy.max_silence_min)`,
          'minutes',
        );
      return c.services.siren.silence(id, minutes, actor(visitor(req)), reason.trim());
    },
  );

  app.post(
    '/api/zones/:id/unsilence',
    { onRequest: guard(c, 'act'), schema: { params: idParams } },
    async (req) => {
      const { id } = req.params as { id: string };
      knownZone(id);
      return c.services.siren.unsilence(id, actor(visitor(req)));
    },
  );

  app.post(
    '/api/incidents/:id/ack',
    { onRequest: guard(c, 'act'), schema: { params: idParams } },
    async (req) => {
      const { id } = req.params as { id: string };
      if (!c.services.alerts) throw new HttpError(404, 'alerts_disabled', 'alerts are not enabled');
      return c.services.alerts.ack(id, visitor(req).user?.username ?? '?', 'web');
    },
  );
}
