import type { AuthenticateError } from 'aedes';

/** Auth failures from one address are counted over this window… */
export const AUTH_WINDOW_MS = 60_000;
/** …and after `auth_fail_limit` of them the address is refused for this long. */
export const AUTH_BLOCK_MS = 5 * 60_000;
/** Addresses remembered for rate limiting; beyond this, expired entries are swept. */
const MAX_TRACKED_ADDRESSES = 1024;

// Same cost as a real verification, so an unknown username takes as long as a wrong password.
export const DUMMY_HASH = `scrypt$16384$8$1$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`;

/** The error aedes turns into a CONNACK with `returnCode` (2 id rejected, 4 bad credentials, 5 not authorized). */
export function authError(returnCode: 2 | 4 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/**
 * Auth-failure rate limiting per address: `limit` failures within `AUTH_WINDOW_MS` block the
 * address for `AUTH_BLOCK_MS`. Bounded: past `MAX_TRACKED_ADDRESSES`, expired entries are swept.
 */
export class AuthThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly blockedUntil = new Map<string, number>();
  /** Auth failures since start; the caller counts each one before `record`. */
  total = 0;

  isBlocked(address: string, now: number): boolean {
    const until = this.blockedUntil.get(address);
    return until !== undefined && until > now;
  }

  /** Records a failure of `address`; true when it got the address blocked. */
  record(address: string, now: number, limit: number): boolean {
    let blocked = false;
    const recent = (this.failures.get(address) ?? []).filter((t) => now - t < AUTH_WINDOW_MS);
    recent.push(now);
    this.failures.set(address, recent);
    if (recent.length >= limit) {
      this.blockedUntil.set(address, now + AUTH_BLOCK_MS);
      this.failures.delete(address);
      blocked = true;
    }
    if (this.failures.size + this.blockedUntil.size > MAX_TRACKED_ADDRESSES) this.sweep(now);
    return blocked;
  }

  /** Addresses blocked right now (after forgetting expired entries). */
  blocked(now: number): number {
    this.sweep(now);
    return this.blockedUntil.size;
  }

  private sweep(now: number): void {
    for (const [address, until] of this.blockedUntil) if (until <= now) this.blockedUntil.delete(address);
    for (const [address, times] of this.failures) {
      if (times.every((t) => now - t >= AUTH_WINDOW_MS)) this.failures.delete(address);
    }
  }
}
