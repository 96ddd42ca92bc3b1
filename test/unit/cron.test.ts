import fc from 'fast-check';
import { createTask } from 'node-cron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cronMatches, nextCronTime, parseCron, scheduleCron } from '../../src/gateway/cron.js';
import { rawOffsetMinutes, wallClock } from '../../src/util/zone-offset.js';

const Z = (iso: string) => Date.parse(iso);

/** node-cron's own matcher (Intl-based), the oracle the gateway's matcher replaces. */
interface Matcher {
  match(d: Date): boolean;
  getNextMatch(d: Date): Date;
}
function nodeCron(expr: string, tz: string): Matcher {
  return (createTask(expr, () => {}, { timezone: tz }) as unknown as { timeMatcher: Matcher }).timeMatcher;
}

const ZONES = ['Asia/Jakarta', 'Asia/Jayapura', 'Asia/Kathmandu', 'UTC', 'Europe/Berlin', 'America/New_York'];
const pick = (xs: readonly string[]) => fc.constantFrom(...xs);
// An nth or last weekday with a fixed day of month, or a nearest weekday on given weekdays, can be
// a line that never runs (node-cron then searches 100 years before it gives up): not generated.
const expr = fc
  .tuple(
    pick(['0', '*/15', '5', '30', '0,45', '*']),
    pick(['*', '0', '3', '10', '0-6', '*/6', '23']),
    pick(['*', '1', '15', 'L', '15W', 'LW', 'L-2', '1-7', '31']),
    pick(['*', '1', '2,8', '*/3', '12']),
    pick(['*', '1', '0', '1-5', '5#2', '5L', 'SAT,SUN']),
  )
  .map(([s, h, dom, mon, dow]) =>
    [s, h, /[#L]/.test(dow) ? '*' : dom, mon, dom.includes('W') && !/[#L]/.test(dow) ? '*' : dow].join(' '),
  );
const instant = fc.integer({ min: Z('2026-01-01T00:00:00Z'), max: Z('2030-12-31T00:00:00Z') });

describe('cron in the site zone without Intl', () => {
  it('a wall clock read through TZ equals the one Intl formats, for any instant and zone', () => {
    fc.assert(
      fc.property(instant, pick([...ZONES, 'Australia/Lord_Howe', 'America/St_Johns']), (ts, tz) => {
        const f = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' });
        const name = f.formatToParts(new Date(ts)).find((p) => p.type === 'timeZoneName')?.value ?? '';
        const m = /GMT(?:([+-])(\d\d):(\d\d))?/.exec(name);
        const expected = m?.[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
        expect(rawOffsetMinutes(ts, tz)).toBe(expected);
      }),
      { numRuns: 400 },
    );
  });

  it('matches the same seconds as node-cron, for any expression, instant and zone', () => {
    fc.assert(
      fc.property(expr, instant, pick(ZONES), (e, ts, tz) => {
        const t = Math.floor(ts / 60_000) * 60_000;
        expect(cronMatches(parseCron(e), wallClock(t, tz))).toBe(nodeCron(e, tz).match(new Date(t)));
      }),
      { numRuns: 400 },
    );
  });

  it('finds the same next time as node-cron wherever no DST change lies between', () => {
    fc.assert(
      fc.property(expr, instant, pick(ZONES), (e, ts, tz) => {
        const ours = nextCronTime(parseCron(e), ts, tz);
        const theirs = nodeCron(e, tz).getNextMatch(new Date(ts)).getTime();
        fc.pre(
          ours !== undefined && rawOffsetMinutes(ts, tz) === rawOffsetMinutes(Math.max(ours, theirs), tz),
        );
        expect(ours).toBe(theirs);
      }),
      { numRuns: 300 },
    );
  });

  it('the village schedule in WIB: summary 00:05, prune 03:15, self-test Mondays 10:00', () => {
    const from = Z('2026-11-30T18:30:00Z'); // 01:30 WIB on Tuesday 1 December
    expect(nextCronTime(parseCron('5 0 * * *'), from, 'Asia/Jakarta')).toBe(Z('2026-12-01T17:05:00Z'));
    expect(nextCronTime(parseCron('15 3 * * *'), from, 'Asia/Jakarta')).toBe(Z('2026-11-30T20:15:00Z'));
    expect(nextCronTime(parseCron('0 10 * * 1'), from, 'Asia/Jakarta')).toBe(Z('2026-12-07T03:00:00Z'));
  });

  it('across Berlin spring forward: 02:30 does not exist on 28 March 2027, so it runs at 03:00 CEST', () => {
    const f = parseCron('30 2 * * *');
    const runs = [Z('2027-03-26T12:00:00Z')];
    for (let i = 0; i < 3; i++) runs.push(nextCronTime(f, runs.at(-1) ?? 0, 'Europe/Berlin') ?? 0);
    expect(runs.slice(1)).toEqual([
      Z('2027-03-27T01:30:00Z'),
      Z('2027-03-28T01:00:00Z'),
      Z('2027-03-29T00:30:00Z'),
    ]);
    // The summary keeps 00:05 local on both sides.
    const s = parseCron('5 0 * * *');
    expect(nextCronTime(s, Z('2027-03-27T12:00:00Z'), 'Europe/Berlin')).toBe(Z('2027-03-27T23:05:00Z'));
    expect(nextCronTime(s, Z('2027-03-28T12:00:00Z'), 'Europe/Berlin')).toBe(Z('2027-03-28T22:05:00Z'));
  });

  it('across Berlin fall back: a fixed 02:30 runs once, a half-hourly line every real half hour', () => {
    const once = parseCron('30 2 * * *');
    const first = nextCronTime(once, Z('2026-10-24T12:00:00Z'), 'Europe/Berlin') ?? 0;
    expect(first).toBe(Z('2026-10-25T00:30:00Z')); // 02:30 CEST
    expect(nextCronTime(once, first, 'Europe/Berlin')).toBe(Z('2026-10-26T01:30:00Z')); // not 02:30 CET
    const halfHourly = parseCron('*/30 * * * *');
    const runs = [Z('2026-10-24T23:50:00Z')];
    for (let i = 0; i < 5; i++) runs.push(nextCronTime(halfHourly, runs.at(-1) ?? 0, 'Europe/Berlin') ?? 0);
    expect(runs.slice(1)).toEqual(
      ['00:00', '00:30', '01:00', '01:30', '02:00'].map((hm) => Z(`2026-10-25T${hm}:00Z`)),
    );
  });
});

describe('scheduleCron', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires at 00:05 WIB while the process runs in another zone, and not before', () => {
    vi.useFakeTimers({ now: Z('2026-11-30T16:00:00Z') }); // 23:00 WIB
    const fired: number[] = [];
    const task = scheduleCron('summary', '5 0 * * *', 'Asia/Jakarta', () => fired.push(Date.now()));
    vi.advanceTimersByTime(64 * 60_000); // 00:04 WIB
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(2 * 60_000);
    expect(fired).toEqual([Z('2026-11-30T17:05:00Z')]);
    vi.advanceTimersByTime(24 * 3_600_000);
    expect(fired).toEqual([Z('2026-11-30T17:05:00Z'), Z('2026-12-01T17:05:00Z')]);
    task.stop();
    vi.advanceTimersByTime(24 * 3_600_000);
    expect(fired).toHaveLength(2);
  });

  it('a time missed while the clock jumped forward runs once; after a jump back the times follow the new clock', () => {
    vi.useFakeTimers({ now: Z('2026-12-01T00:00:30Z') });
    const fired: number[] = [];
    scheduleCron('heartbeat', '* * * * *', 'Asia/Jakarta', () => fired.push(Date.now()));
    vi.setSystemTime(Z('2026-12-01T05:00:30Z')); // NTP after a boot without RTC
    vi.advanceTimersByTime(60_000);
    expect(fired).toHaveLength(1);
    vi.setSystemTime(Z('2026-12-01T00:10:10Z'));
    vi.advanceTimersByTime(60_000);
    expect(fired).toHaveLength(2);
    expect(fired[1]).toBeGreaterThanOrEqual(Z('2026-12-01T00:11:00Z'));
  });
});
