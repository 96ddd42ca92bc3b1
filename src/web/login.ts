import { AUTH_BLOCK_MS, AUTH_WINDOW_MS, DUMMY_HASH } from '../broker/auth.js';
import { verifyPassword } from '../broker/password.js';
import { LoginThrottle } from '../broker/throttle.js';
import type { BrokerUser } from '../config/schema.js';
import type { Clock } from '../domain/index.js';

export type LoginResult =
  | { ok: true; user: BrokerUser }
  | { ok: false; why: 'bad_credentials' }
  | { ok: false; why: 'throttled' };

export interface WebLoginDeps {
  clock: Clock;
  /** The local broker's users as configured now (a reload applies at the next login). */
  users(): readonly BrokerUser[];
  /** `local_broker.auth_fail_limit`: the same rule as the broker's logins. */
  failLimit(): number;
}

/** Roles that may open the page at all; node and siren accounts live on devices, not phones. */
const PEOPLE = new Set(['viewer', 'operator', 'admin']);

/**
 * The page's login: the local broker's users and scrypt hashes, throttled per (address, user) by
 * the broker's own throttle. An unknown user costs one scrypt run like a known one and gets the
 * same answer as a wrong password, so neither the reply nor its time says which names exist.
 */
export class WebLogin {
  private readonly throttle: LoginThrottle;

  constructor(private readonly deps: WebLoginDeps) {
    this.throttle = new LoginThrottle({
      now: () => deps.clock.now(),
      rules: () => ({ limit: deps.failLimit(), windowMs: AUTH_WINDOW_MS, blockMs: AUTH_BLOCK_MS }),
    });
  }

  async check(address: string, username: string, password: string): Promise<LoginResult> {
    const attempt = this.throttle.begin(address, username);
    if (!attempt) return { ok: false, why: 'throttled' };
    const user = this.deps.users().find((u) => u.username === username);
    const ok = await verifyPassword(password, user?.password_hash ?? DUMMY_HASH);
    if (!user || !ok || !PEOPLE.has(user.role)) {
      attempt.failed();
      return { ok: false, why: 'bad_credentials' };
    }
    attempt.succeeded();
    return { ok: true, user };
  }
}
