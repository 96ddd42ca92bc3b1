/**
 * Rate limits of the command channel. Pure: every call takes the time, so they are tested with
 * plain values.
 *
 * Two budgets, kept apart on purpose: commands that passed signature, clock and nonce checks
 * (only a key holder can send those), and refusals (anyone who can publish on `cmd/req` can send
 * those). Junk must never use up a signed command's budget.
 */

/** Signed, fresh, new commands run per window; more are refused as `rate_limited`. */
export const COMMANDS_PER_WINDOW = 20;
export const COMMAND_WINDOW_MS = 10_000;

/** Refusals answered and recorded one by one per window; the rest go into one summary event. */
export const REFUSALS_REPORTED = 5;
export const REFUSAL_WINDOW_MS = 60_000;

/** Counts in a fixed window that restarts once `windowMs` have passed (or the clock went back). */
class Window {
  private start: number | undefined;
  private n = 0;

  constructor(private readonly windowMs: number) {}

  /** Counts one at `now`; returns how many were counted in the current window, this one included. */
  count(now: number): number {
    if (this.start === undefined || now - this.start >= this.windowMs || now < this.start) {
      this.start = now;
      this.n = 0;
    }
    return ++this.n;
  }
}

/** The budget of authentic commands. */
export class CommandBudget {
  private readonly window = new Window(COMMAND_WINDOW_MS);

  /** True when a command verified at `now` may run. */
  take(now: number): boolean {
    return this.window.count(now) <= COMMANDS_PER_WINDOW;
  }
}

export interface RefusalSummary {
  /** Refusals neither answered nor recorded one by one since the last summary. */
  since_last: number;
  by_reason: Record<string, number>;
}

/**
 * Refusals: the first `REFUSALS_REPORTED` per window are answered and become `cmd` events (an
 * operator with a wrong key or clock learns why); the rest are only counted, and reported as one
 * `cmd_rejected` summary event per window, like `lora_rejected`.
 */
export class RefusalLimiter {
  private readonly window = new Window(REFUSAL_WINDOW_MS);
  private suppressed = new Map<string, number>();

  /** True: answer and record this refusal; false: it is only counted for the summary. */
  admit(reason: string, now: number): boolean {
    if (this.window.count(now) <= REFUSALS_REPORTED) return true;
    this.suppressed.set(reason, (this.suppressed.get(reason) ?? 0) + 1);
    return false;
  }

  /** Refusals counted since the last call, or undefined when there were none. */
  takeSummary(): RefusalSummary | undefined {
    if (this.suppressed.size === 0) return undefined;
    const by_reason = Object.fromEntries(this.suppressed);
    this.suppressed = new Map();
    return { since_last: Object.values(by_reason).reduce((a, b) => a + b, 0), by_reason };
  }
}
