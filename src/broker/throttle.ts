/**
 * Login throttling per (address, user), pure apart from the injected clock; shared by every login
 * the gateway offers (local broker now, a web login later).
 *
 * Keyed by address AND user because the nodes behind one village access point share an address:
 * someone guessing `ops`'s password must not lock `pir-07` out. `user` null stands for attempts
 * that carry no identity (anonymous, or a socket that never sent a login); the caller decides what
 * blocking that key means (the broker refuses the whole address at admission).
 *
 * An attempt counts from the moment it starts, so parallel guesses cannot all get a password
 * check before the first one fails: at most `limit` attempts per key are failing or still running
 * within `windowMs`. `limit` failures block the key for `blockMs` (which should be ≥ `windowMs`);
 * a success forgets the key's failures.
 */

export interface ThrottleRules {
  /** Failed or still-running attempts within `windowMs` that the key may have. */
  limit: number;
  windowMs: number;
  /** How long `limit` failures block the key. */
  blockMs: number;
}

export interface ThrottleDeps {
  now(): number;
  /** Read on every call, so a config reload applies at once. */
  rules(): ThrottleRules;
  /** Keys remembered at most; past it, expired keys and then the oldest unblocked ones are forgotten. */
  maxKeys?: number;
}

/** A started attempt: settle it once (later calls are ignored). */
export interface Attempt {
  succeeded(): void;
  /** True when this failure blocked the key. */
  failed(): boolean;
}

interface Entry {
  /** Start times of failed attempts within the window. */
  failures: number[];
  running: number;
  blockedUntil?: number;
  anonymous: boolean;
}

const DEFAULT_MAX_KEYS = 4096;

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly deps: ThrottleDeps) {}

  /** Starts an attempt, or undefined when the key is blocked or has its limit in flight. */
  begin(address: string, user: string | null): Attempt | undefined {
    const now = this.deps.now();
    const key = keyOf(address, user);
    const entry = this.fresh(key, now);
    if (entry && isBlocked(entry, now)) return undefined;
    const { limit } = this.deps.rules();
    if (entry && entry.failures.length + entry.running >= limit) return undefined;
    const e = entry ?? this.create(key, now, user === null);
    e.running++;
    let settled = false;
    return {
      succeeded: () => {
        if (settled) return;
        settled = true;
        e.running--;
        e.failures = [];
        this.dropIfEmpty(key, e);
      },
      failed: () => {
        if (settled) return false;
        settled = true;
        e.running--;
        return this.addFailure(key, e, now);
      },
    };
  }

  /** A failure without a running attempt (a login that never came); true when it blocked the key. */
  fail(address: string, user: string | null): boolean {
    const now = this.deps.now();
    const key = keyOf(address, user);
    const entry = this.fresh(key, now) ?? this.create(key, now, user === null);
    return this.addFailure(key, entry, now);
  }

  isBlocked(address: string, user: string | null): boolean {
    const entry = this.entries.get(keyOf(address, user));
    return entry !== undefined && isBlocked(entry, this.deps.now());
  }

  /** The keys blocked right now, split into identity-less ones (user null) and named ones. */
  blocked(): { anonymous: number; named: number } {
    const now = this.deps.now();
    this.sweep(now);
    let anonymous = 0;
    let named = 0;
    for (const entry of this.entries.values()) {
      if (!isBlocked(entry, now)) continue;
      if (entry.anonymous) anonymous++;
      else named++;
    }
    return { anonymous, named };
  }

  /** Keys remembered (for the memory bound). */
  get size(): number {
    return this.entries.size;
  }

  private addFailure(key: string, entry: Entry, startedAt: number): boolean {
    const now = this.deps.now();
    const { limit, windowMs, blockMs } = this.deps.rules();
    entry.failures = entry.failures.filter((t) => now - t < windowMs);
    // Counted from when it started: an attempt that ran long still belongs to its window.
    entry.failures.push(Math.min(startedAt, now));
    if (!this.entries.has(key)) this.entries.set(key, entry);
    if (entry.failures.length < limit || isBlocked(entry, now)) return false;
    entry.blockedUntil = now + blockMs;
    entry.failures = [];
    return true;
  }

  /** The key's entry with expired failures and an expired block forgotten; undefined if none. */
  private fresh(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const { windowMs } = this.deps.rules();
    entry.failures = entry.failures.filter((t) => now - t < windowMs);
    if (entry.blockedUntil !== undefined && entry.blockedUntil <= now) delete entry.blockedUntil;
    return entry;
  }

  private create(key: string, now: number, anonymous: boolean): Entry {
    const entry: Entry = { failures: [], running: 0, anonymous };
    this.entries.set(key, entry);
    if (this.entries.size > (this.deps.maxKeys ?? DEFAULT_MAX_KEYS)) this.shrink(now, entry);
    return entry;
  }

  private dropIfEmpty(key: string, entry: Entry): void {
    if (entry.running === 0 && entry.failures.length === 0 && entry.blockedUntil === undefined) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    }
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) {
      this.fresh(key, now);
      this.dropIfEmpty(key, entry);
    }
  }

  /**
   * Over the bound: forget expired keys, then the oldest keys that are neither blocked nor running
   * (forgetting a few failures is the lesser harm than unbounded memory under a flood of names).
   */
  private shrink(now: number, keep: Entry): void {
    this.sweep(now);
    const max = this.deps.maxKeys ?? DEFAULT_MAX_KEYS;
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= max) break;
      if (entry !== keep && entry.running === 0 && !isBlocked(entry, now)) this.entries.delete(key);
    }
  }
}

// An address holds no NUL and the marker after it tells "no user" from any user name.
function keyOf(address: string, user: string | null): string {
  return user === null ? `${address}\u0000-` : `${address}\u0000u${user}`;
}

function isBlocked(entry: Entry, now: number): boolean {
  return entry.blockedUntil !== undefined && entry.blockedUntil > now;
}
