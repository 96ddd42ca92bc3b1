import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COMMANDS_PER_WINDOW,
  CommandBudget,
  REFUSAL_WINDOW_MS,
  REFUSALS_REPORTED,
  RefusalLimiter,
} from '../../src/uplink/command-limits.js';

describe('command rate limits', () => {
  it('refusals: the first few per window are reported, every other one is counted by reason', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom('malformed', 'bad_sig', 'replay'), fc.integer({ min: 0, max: 5000 })),
          {
            maxLength: 300,
          },
        ),
        (steps) => {
          const l = new RefusalLimiter();
          let t = 1_000_000;
          let admitted = 0;
          let windowStart = t;
          let inWindow = 0;
          const counted: Record<string, number> = {};
          for (const [reason, dt] of steps) {
            t += dt;
            if (t - windowStart >= REFUSAL_WINDOW_MS) {
              windowStart = t;
              inWindow = 0;
            }
            inWindow++;
            const ok = l.admit(reason, t);
            expect(ok).toBe(inWindow <= REFUSALS_REPORTED);
            if (ok) admitted++;
            else counted[reason] = (counted[reason] ?? 0) + 1;
          }
          const s = l.takeSummary();
          if (admitted === steps.length) expect(s).toBeUndefined();
          else expect(s).toEqual({ since_last: steps.length - admitted, by_reason: counted });
          expect(l.takeSummary()).toBeUndefined();
        },
      ),
    );
  });

  it('signed commands: COMMANDS_PER_WINDOW per window, then refused until the window has passed', () => {
    const b = new CommandBudget();
    for (let i = 0; i < COMMANDS_PER_WINDOW; i++) expect(b.take(1000 + i)).toBe(true);
    expect(b.take(2000)).toBe(false);
    expect(b.take(11_000)).toBe(true);
  });

  it('a clock that jumps back starts a new window rather than locking the channel', () => {
    const b = new CommandBudget();
    for (let i = 0; i <= COMMANDS_PER_WINDOW; i++) b.take(50_000);
    expect(b.take(50_000)).toBe(false);
    expect(b.take(10_000)).toBe(true);
  });
});
