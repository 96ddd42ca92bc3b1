import type { Logger } from 'pino';
import type { BrokerUser } from '../config/schema.js';
import type { Clock } from '../domain/clock.js';
import { AUTH_BLOCK_MS, AUTH_WINDOW_MS, authError, DUMMY_HASH } from './auth.js';
import { LOGINS_PER_ADDRESS } from './limits.js';
import { LoginSlots } from './login-slots.js';
import { verifyPassword } from './password.js';
import type { BrokerRefusal } from './refusals.js';
import { LoginThrottle } from './throttle.js';

export interface LoginsDeps {
  log: Logger;
  clock: Clock;
  /** `local_broker.auth_fail_limit` as configured now. */
  failLimit(): number;
  users(): ReadonlyMap<string, BrokerUser>;
  refuse(reason: BrokerRefusal, fields: Record<string, unknown>): void;
}

/**
 * The broker's logins: at most `LOGINS_PER_ADDRESS` password checks of one address at a time, and
 * the per-(address, user) throttle of throttle.ts, consulted before any password is checked.
 * Identity-less failures (anonymous CONNECTs, sockets that never log in) count under the address
 * alone; once those are blocked the address is refused at admission.
 */
export class Logins {
  private readonly throttle: LoginThrottle;
  private readonly slots = new LoginSlots(LOGINS_PER_ADDRESS);
  /** Failed logins since start. */
  failures = 0;
  /** Passwords checked (scrypt runs) since start. */
  passwordChecks = 0;

  constructor(private readonly deps: LoginsDeps) {
    this.throttle = new LoginThrottle({
      now: () => deps.clock.now(),
      rules: () => ({ limit: deps.failLimit(), windowMs: AUTH_WINDOW_MS, blockMs: AUTH_BLOCK_MS }),
    });
  }

  /** Whether the address is refused at admission (too many identity-less failures). */
  isAddressBlocked(address: string): boolean {
    return this.throttle.isBlocked(address, null);
  }

  /** Currently blocked addresses and (address, user) pairs. */
  blocked(): { addresses: number; logins: number } {
    const { anonymous, named } = this.throttle.blocked();
    return { addresses: anonymous, logins: named };
  }

  /** A socket of `address` never began to log in: a failure without a name. */
  timedOut(address: string): void {
    if (this.throttle.fail(address, null)) this.addressBlocked(address);
  }

  /**
   * The user whose credentials these are; rejects with an `AuthenticateError` otherwise.
   * `open()` tells whether the client is still there once its turn comes.
   */
  async check(
    address: string,
    username: string | undefined,
    password: Buffer | undefined,
    open: () => boolean,
  ): Promise<BrokerUser> {
    if (username === undefined) {
      // Never allowed, so no password check is spent on it; it counts against the address.
      this.failed(address, null);
      if (this.throttle.fail(address, null)) this.addressBlocked(address);
      throw authError(5, 'a user name is required');
    }
    const release = await this.slots.acquire(address);
    try {
      if (!open()) throw authError(5, 'connection closed before its login');
      const attempt = this.throttle.begin(address, username);
      if (!attempt) {
        this.deps.refuse('auth_throttled', { address, user: username });
        throw authError(5, 'too many failed logins: try again later');
      }
      const user = this.deps.users().get(username);
      this.passwordChecks++;
      const ok = await verifyPassword(password ?? Buffer.alloc(0), user?.password_hash ?? DUMMY_HASH);
      if (!user || !ok || password === undefined) {
        this.failed(address, username);
        if (attempt.failed()) {
          this.deps.log.warn(
            { address, user: username, minutes: AUTH_BLOCK_MS / 60_000 },
            'too many failed logins: user refused at this address',
          );
        }
        throw authError(4, 'bad user name or password');
      }
      attempt.succeeded();
      return user;
    } finally {
      release();
    }
  }

  private failed(address: string, username: string | null): void {
    this.failures++;
    this.deps.refuse('auth_failed', { address, user: username });
  }

  private addressBlocked(address: string): void {
    this.deps.log.warn(
      { address, minutes: AUTH_BLOCK_MS / 60_000 },
      'too many logins without a user name: address blocked',
    );
  }
}
