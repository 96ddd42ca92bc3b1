import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Attempt, LoginThrottle, type ThrottleRules } from '../../src/broker/throttle.js';
import { ManualClock } from '../../src/domain/clock.js';
import { must } from '../helpers/must.js';

const RULES: ThrottleRules = { limit: 5, windowMs: 60_000, blockMs: 300_000 };

function throttle(rules: ThrottleRules = RULES, maxKeys?: number) {
  const clock = new ManualClock(1_000_000);
  const t = new LoginThrottle({
    now: () => clock.now(),
    rules: () => rules,
    ...(maxKeys ? { maxKeys } : {}),
  });
  return { t, clock };
}

describe('login throttle: examples', () => {
  it('counts an attempt when it starts: 19 parallel guesses get 5 checks', () => {
    const { t } = throttle();
    const started = Array.from({ length: 19 }, () => t.begin('10.0.0.5', 'ops'));
    expect(started.filter((a) => a !== undefined)).toHaveLength(5);
  });

  it('blocks the (address, user) pair after `limit` failures, not the address or the user elsewhere', () => {
    const { t, clock } = throttle();
    for (let i = 0; i < 5; i++) t.begin('10.0.0.5', 'ops')?.failed();
    expect(t.isBlocked('10.0.0.5', 'ops')).toBe(true);
    expect(t.begin('10.0.0.5', 'ops')).toBeUndefined();
    expect(t.begin('10.0.0.5', 'pir-07')).toBeDefined(); // a node behind the same access point
    expect(t.begin('10.0.0.9', 'ops')).toBeDefined(); // the real operator elsewhere
    expect(t.isBlocked('10.0.0.5', null)).toBe(false);
    expect(t.blocked()).toEqual({ anonymous: 0, named: 1 });
    clock.advance(RULES.blockMs);
    expect(t.begin('10.0.0.5', 'ops')).toBeDefined();
  });

  it('a success frees its slot and forgets earlier failures', () => {
    const { t } = throttle();
    for (let i = 0; i < 4; i++) t.begin('a', 'u')?.failed();
    t.begin('a', 'u')?.succeeded();
    for (let i = 0; i < 4; i++) expect(t.begin('a', 'u')?.failed()).toBe(false);
    expect(t.begin('a', 'u')?.failed()).toBe(true);
  });

  it('settling twice counts once', () => {
    const { t } = throttle();
    const a = t.begin('a', 'u') as Attempt;
    a.failed();
    a.failed();
    a.succeeded();
    for (let i = 0; i < 3; i++) t.begin('a', 'u')?.failed();
    expect(t.isBlocked('a', 'u')).toBe(false);
  });

  it('failures without a user (timeouts, anonymous) block the identity-less key only', () => {
    const { t } = throttle();
    for (let i = 0; i < 4; i++) expect(t.fail('a', null)).toBe(false);
    expect(t.fail('a', null)).toBe(true);
    expect(t.isBlocked('a', null)).toBe(true);
    expect(t.isBlocked('a', 'u')).toBe(false);
    expect(t.blocked()).toEqual({ anonymous: 1, named: 0 });
  });

  it('forgets failures older than the window', () => {
    const { t, clock } = throttle();
    for (let i = 0; i < 4; i++) t.begin('a', 'u')?.failed();
    clock.advance(RULES.windowMs);
    for (let i = 0; i < 4; i++) t.begin('a', 'u')?.failed();
    expect(t.isBlocked('a', 'u')).toBe(false);
  });

  it('follows a changed limit at once', () => {
    const rules = { ...RULES };
    const { t } = throttle(rules);
    t.begin('a', 'u')?.failed();
    rules.limit = 2;
    expect(t.begin('a', 'u')?.failed()).toBe(true);
  });
});

// A random history of logins, as operations on a few addresses and users.
const op = fc.oneof(
  fc.record({
    kind: fc.constant('begin' as const),
    address: fc.constantFrom('a', 'b'),
    user: fc.constantFrom('u', 'v', null),
  }),
  fc.record({ kind: fc.constant('settle' as const), index: fc.nat(), ok: fc.boolean() }),
  fc.record({ kind: fc.constant('fail' as const), address: fc.constantFrom('a', 'b') }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 90_000 }) }),
);
const rules = fc.record({
  limit: fc.integer({ min: 1, max: 8 }),
  windowMs: fc.integer({ min: 1000, max: 60_000 }),
  extraBlockMs: fc.integer({ min: 0, max: 300_000 }),
});

describe('login throttle: properties', () => {
  it('never lets one key start more than `limit` attempts that fail within one window', () => {
    fc.assert(
      fc.property(rules, fc.array(op, { maxLength: 200 }), (r, ops) => {
        const rule = { limit: r.limit, windowMs: r.windowMs, blockMs: r.windowMs + r.extraBlockMs };
        const { t, clock } = throttle(rule);
        // every attempt that began, per key: its start time and order, and how it settled
        type Rec = { at: number; seq: number; ok?: boolean };
        const started = new Map<string, Rec[]>();
        const lastSuccess = new Map<string, number>(); // key → order of its last success
        const open: { attempt: Attempt; rec: Rec; key: string }[] = [];
        let seq = 0;
        for (const o of ops) {
          seq++;
          if (o.kind === 'begin') {
            const attempt = t.begin(o.address, o.user);
            if (!attempt) continue;
            const rec: Rec = { at: clock.now(), seq };
            const key = `${o.address}|${o.user}`;
            started.set(key, [...(started.get(key) ?? []), rec]);
            open.push({ attempt, rec, key });
          } else if (o.kind === 'settle' && open.length > 0) {
            const [item] = open.splice(o.index % open.length, 1);
            if (!item) continue;
            item.rec.ok = o.ok;
            if (o.ok) {
              item.attempt.succeeded();
              lastSuccess.set(item.key, seq);
            } else item.attempt.failed();
          } else if (o.kind === 'advance') clock.advance(o.ms);
        }
        for (const [key, recs] of started) {
          // A success forgets the key's failures: look at what began after the last one.
          const since = lastSuccess.get(key) ?? 0;
          const run = recs.filter((x) => x.ok !== true && x.seq > since).map((x) => x.at);
          // Any limit+1 failures of one key span at least the window.
          run.slice(r.limit).forEach((late, i) => {
            expect(late - must(run[i], 'an earlier failure')).toBeGreaterThanOrEqual(r.windowMs);
          });
        }
      }),
    );
  });

  it('what happens to one user never throttles another user at the same address', () => {
    fc.assert(
      fc.property(rules, fc.array(op, { maxLength: 200 }), (r, ops) => {
        const { t, clock } = throttle({
          limit: r.limit,
          windowMs: r.windowMs,
          blockMs: r.windowMs + r.extraBlockMs,
        });
        const open: Attempt[] = [];
        for (const o of ops) {
          if (o.kind === 'begin') {
            const a = t.begin(o.address, o.user);
            if (a) open.push(a);
          } else if (o.kind === 'settle' && open.length > 0) {
            const [a] = open.splice(o.index % open.length, 1);
            if (o.ok) a?.succeeded();
            else a?.failed();
          } else if (o.kind === 'fail') t.fail(o.address, null);
          else if (o.kind === 'advance') clock.advance(o.ms);
          // 'w' never logs in in this history: it is always allowed to try, at every address.
          expect(t.isBlocked('a', 'w')).toBe(false);
          const probe = t.begin('a', 'w');
          expect(probe).toBeDefined();
          probe?.succeeded();
        }
      }),
    );
  });

  it('stays within its key bound under a flood of user names, keeping blocked keys', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 300 }),
        (names) => {
          const { t } = throttle({ limit: 2, windowMs: 60_000, blockMs: 300_000 }, 50);
          for (let i = 0; i < 2; i++) t.begin('x', 'ops')?.failed();
          for (const name of names) t.begin('a', name)?.failed();
          expect(t.size).toBeLessThanOrEqual(51);
          expect(t.isBlocked('x', 'ops')).toBe(true);
        },
      ),
    );
  });
});
