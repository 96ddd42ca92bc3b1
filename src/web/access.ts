import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BrokerUser, Config } from '../config/schema.js';
import { parseCookies, serializeCookie } from './cookies.js';
import { HttpError } from './http-errors.js';
import { ACTING_ROLES, type Session, type Sessions } from './sessions.js';

export const SESSION_COOKIE = 'siaga_sid';
export const NONCE_COOKIE = 'siaga_csrf';

export interface Visitor {
  session?: Session;
  user?: BrokerUser;
  nonce?: string;
}

/**
 * Who sent a request. A session whose user was removed from the config, or is no longer a person's
 * account, is ended here: the role is read from the config as it is now, never from the session.
 */
export function visitorOf(req: FastifyRequest, sessions: Sessions, config: Config): Visitor {
  const cookies = parseCookies(req.headers.cookie);
  const nonce = cookies[NONCE_COOKIE];
  const session = sessions.get(cookies[SESSION_COOKIE]);
  if (!session) return nonce ? { nonce } : {};
  const user = config.local_broker.users.find((u) => u.username === session.user);
  if (!user || !['viewer', 'operator', 'admin'].includes(user.role)) {
    sessions.drop(session.id);
    return nonce ? { nonce } : {};
  }
  return { session, user, ...(nonce ? { nonce } : {}) };
}

/** The CSRF token this visitor's page must send; sets the nonce cookie when it has none yet. */
export function csrfFor(v: Visitor, sessions: Sessions, reply: FastifyReply, secure: boolean): string {
  if (v.session) return v.session.csrf;
  let nonce = v.nonce;
  if (!nonce) {
    nonce = sessions.newNonce();
    v.nonce = nonce;
    reply.header('set-cookie', serializeCookie(NONCE_COOKIE, nonce, { secure }));
  }
  return sessions.anonymousCsrf(nonce);
}

export type Need = 'look' | 'csrf' | 'act';

/**
 * The rules of issue 15: looking is open unless `web.public_view` is false; a POST needs the
 * CSRF token (403 without it); an action needs a login (401) of role operator or admin (403).
 */
export function check(need: Need, v: Visitor, req: FastifyRequest, sessions: Sessions, config: Config): void {
  if (need === 'look') {
    if (!config.web.public_view && !v.user)
      throw new HttpError(401, 'login_needed', 'log in to see this page');
    return;
  }
  if (need === 'act' && !v.user) throw new HttpError(401, 'login_needed', 'log in first');
  const sent = req.headers['x-csrf-token'];
  if (!sessions.csrfOk(typeof sent === 'string' ? sent : undefined, v.session, v.nonce)) {
    throw new HttpError(403, 'csrf', 'missing or wrong x-csrf-token header: reload the page');
  }
  if (need === 'act' && !ACTING_ROLES.has(v.user?.role ?? '')) {
    throw new HttpError(
      403,
      'role',
      `user ${v.user?.username} may look but not act (role operator or admin needed)`,
    );
  }
}

/** `by` of the events an action raises: the door and the person. */
export const actor = (v: Visitor) => `web:${v.user?.username ?? '?'}`;
