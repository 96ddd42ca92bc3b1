import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../domain/index.js';

/** Roles of the local broker's users as the village screen sees them. */
export type WebRole = 'viewer' | 'operator' | 'admin';

/** Who may press a button on the page (issue 15): the village office (operator) and the technician (admin). */
export const ACTING_ROLES: ReadonlySet<string> = new Set(['operator', 'admin']);

export interface Session {
  id: string;
  user: string;
  csrf: string;
  /** Idle expiry (epoch ms); every request that uses the session moves it on. */
  expires: number;
}

export interface SessionRules {
  /** A session unused this long is gone. */
  idleMs: number;
  /** Sessions kept at most: the oldest go first (a flood of logins cannot grow memory). */
  max: number;
}

export const DEFAULT_SESSION_RULES: SessionRules = { idleMs: 12 * 3_600_000, max: 256 };

const token = () => randomBytes(24).toString('base64url');

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Logged-in sessions in memory (a restart logs everyone out: the page shows the login again) and
 * CSRF tokens. A visitor without a session still needs a token for `POST /api/login`: it is an
 * HMAC of a random nonce kept in its own cookie, so anonymous visitors cost no memory here.
 */
export class Sessions {
  private readonly byId = new Map<string, Session>();
  private readonly secret = randomBytes(32);

  constructor(
    private readonly clock: Clock,
    private readonly rules: SessionRules = DEFAULT_SESSION_RULES,
  ) {}

  create(user: string): Session {
    const now = this.clock.now();
    this.sweep(now);
    while (this.byId.size >= this.rules.max) {
      const oldest = this.byId.keys().next().value;
      if (oldest === undefined) break;
      this.byId.delete(oldest);
    }
    const s: Session = { id: token(), user, csrf: token(), expires: now + this.rules.idleMs };
    this.byId.set(s.id, s);
    return s;
  }

  /** The live session of this id, its idle expiry moved on; undefined when unknown or expired. */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.byId.get(id);
    if (!s) return undefined;
    const now = this.clock.now();
    if (s.expires <= now) {
      this.byId.delete(id);
      return undefined;
    }
    s.expires = now + this.rules.idleMs;
    // Re-inserted so Map order stays least-recently-used first for the eviction above.
    this.byId.delete(id);
    this.byId.set(id, s);
    return s;
  }

  drop(id: string | undefined): void {
    if (id) this.byId.delete(id);
  }

  /** Ends every session of `user` (their password or role changed, or they were removed). */
  dropUser(user: string): void {
    for (const [id, s] of this.byId) if (s.user === user) this.byId.delete(id);
  }

  get size(): number {
    return this.byId.size;
  }

  newNonce(): string {
    return token();
  }

  /** The CSRF token of a visitor without a session, derived from its nonce cookie. */
  anonymousCsrf(nonce: string): string {
    return createHmac('sha256', this.secret).update(nonce).digest('base64url');
  }

  /** Whether `sent` is the CSRF token of this session, or of this nonce when there is no session. */
  csrfOk(sent: string | undefined, session: Session | undefined, nonce: string | undefined): boolean {
    if (!sent) return false;
    if (session) return sameText(sent, session.csrf);
    return nonce !== undefined && nonce !== '' && sameText(sent, this.anonymousCsrf(nonce));
  }

  private sweep(now: number): void {
    for (const [id, s] of this.byId) if (s.expires <= now) this.byId.delete(id);
  }
}
