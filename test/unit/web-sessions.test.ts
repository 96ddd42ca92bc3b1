import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCookies, serializeCookie } from '../../src/web/cookies.js';
import { Sessions } from '../../src/web/sessions.js';

const clockAt = (t: { now: number }) => ({ now: () => t.now });

describe('village screen sessions', () => {
  it('a session lives while it is used and ends after idleMs unused', () => {
    const t = { now: 1_000 };
    const s = new Sessions(clockAt(t), { idleMs: 60_000, max: 10 });
    const a = s.create('kantor');
    t.now += 59_000;
    expect(s.get(a.id)?.user).toBe('kantor');
    t.now += 59_000; // used 59 s ago: still alive
    expect(s.get(a.id)?.user).toBe('kantor');
    t.now += 60_000;
    expect(s.get(a.id)).toBeUndefined();
  });

  it('keeps at most `max` sessions, dropping the least recently used', () => {
    const t = { now: 0 };
    const s = new Sessions(clockAt(t), { idleMs: 3_600_000, max: 3 });
    const ids = ['a', 'b', 'c'].map((u) => s.create(u).id);
    s.get(ids[0]); // a used again: b is now the oldest
    s.create('d');
    expect(s.size).toBe(3);
    expect(s.get(ids[1])).toBeUndefined();
    expect(s.get(ids[0])?.user).toBe('a');
  });

  it('dropUser ends every session of that user', () => {
    const s = new Sessions(clockAt({ now: 0 }));
    const a = s.create('kantor');
    const b = s.create('kantor');
    const c = s.create('tamu');
    s.dropUser('kantor');
    expect([s.get(a.id), s.get(b.id), s.get(c.id)?.user]).toEqual([undefined, undefined, 'tamu']);
  });

  it('accepts only the CSRF token of the session, or of the nonce when there is no session', () => {
    const s = new Sessions(clockAt({ now: 0 }));
    const session = s.create('kantor');
    expect(s.csrfOk(session.csrf, session, undefined)).toBe(true);
    expect(s.csrfOk(undefined, session, undefined)).toBe(false);
    expect(s.csrfOk(`${session.csrf}x`, session, undefined)).toBe(false);
    const nonce = s.newNonce();
    const token = s.anonymousCsrf(nonce);
    expect(s.csrfOk(token, undefined, nonce)).toBe(true);
    expect(s.csrfOk(token, undefined, s.newNonce())).toBe(false);
    expect(s.csrfOk(token, undefined, undefined)).toBe(false);
    // Another gateway process (another secret) does not accept this one's tokens.
    expect(new Sessions(clockAt({ now: 0 })).csrfOk(token, undefined, nonce)).toBe(false);
  });
});

describe('cookies', () => {
  it('round-trips any value and keeps HttpOnly, SameSite=Strict', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const set = serializeCookie('siaga_sid', value, { secure: false });
        expect(set).toMatch(/; HttpOnly; SameSite=Strict/);
        const [pair] = set.split(';');
        expect(parseCookies(`other=1; ${pair}`).siaga_sid).toBe(value);
      }),
    );
  });

  it('ignores malformed cookies instead of failing the request', () => {
    expect(parseCookies('a=%E0%A4%A; b=2; =x; junk')).toEqual({ b: '2' });
    expect(serializeCookie('x', '', { secure: true, maxAge: 0 })).toMatch(/Max-Age=0; Secure$/);
  });
});
