import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTime } from '../../src/cli/duration.js';
import { dayWindow, localDay, nextDay, previousDay } from '../../src/report/local-day.js';
import {
  formatLocalTime,
  isoLocalTime,
  isTimeZone,
  localDate,
  offsetMinutes,
  zonedTimeToUtc,
  zoneLabel,
} from '../../src/util/local-time.js';

// 2026-12-01 03:24:05.123 UTC = 10:24 WIB, 11:24 WITA, 12:24 WIT.
const T = Date.parse('2026-12-01T03:24:05.123Z');

describe('local time for people', () => {
  it('prints a time as the village reads it, in the site zone, whatever the system zone', () => {
    expect(formatLocalTime(T, 'Asia/Jakarta')).toBe('2026-12-01 10:24 WIB');
    expect(formatLocalTime(T, 'Asia/Jakarta', { seconds: true })).toBe('2026-12-01 10:24:05 WIB');
    expect(formatLocalTime(T, 'Asia/Pontianak')).toBe('2026-12-01 10:24 WIB');
    expect(formatLocalTime(T, 'Asia/Makassar')).toBe('2026-12-01 11:24 WITA');
    expect(formatLocalTime(T, 'Asia/Jayapura')).toBe('2026-12-01 12:24 WIT');
  });

  it('names zones outside Indonesia by their UTC offset', () => {
    expect(formatLocalTime(T, 'UTC')).toBe('2026-12-01 03:24 UTC');
    expect(formatLocalTime(T, 'Asia/Kolkata')).toBe('2026-12-01 08:54 UTC+05:30');
    expect(formatLocalTime(T, 'America/Sao_Paulo')).toBe('2026-12-01 00:24 UTC-03:00');
    expect(zoneLabel(T, 'Europe/Berlin')).toBe('UTC+01:00');
    expect(zoneLabel(Date.parse('2026-07-01T00:00:00Z'), 'Europe/Berlin')).toBe('UTC+02:00');
  });

  it('crosses midnight into the next local day before UTC does', () => {
    const t = Date.parse('2026-11-30T17:05:00Z');
    expect(formatLocalTime(t, 'Asia/Jakarta')).toBe('2026-12-01 00:05 WIB');
    expect(localDate(t, 'Asia/Jakarta')).toBe('2026-12-01');
    expect(localDate(t, 'UTC')).toBe('2026-11-30');
  });

  it('gives ISO 8601 with the site offset for --json', () => {
    expect(isoLocalTime(T, 'Asia/Jakarta')).toBe('2026-12-01T10:24:05.123+07:00');
    expect(Date.parse(isoLocalTime(T, 'Asia/Jayapura'))).toBe(T);
  });

  it('knows which time zones exist', () => {
    expect(isTimeZone('Asia/Jakarta')).toBe(true);
    expect(isTimeZone('WIB')).toBe(false);
    expect(isTimeZone('Asia/Lampung')).toBe(false);
  });

  it('ISO, local day and wall-clock conversion agree for any instant and zone (property)', () => {
    const zones = [
      'Asia/Jakarta',
      'Asia/Makassar',
      'Asia/Jayapura',
      'UTC',
      'Europe/Berlin',
      'America/New_York',
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2000-01-01'), max: Date.parse('2100-01-01') }),
        fc.constantFrom(...zones),
        (ts, tz) => {
          expect(Date.parse(isoLocalTime(ts, tz))).toBe(ts);
          const { from, to } = dayWindow(localDay(ts, tz), tz);
          expect(from <= ts && ts < to).toBe(true);
          expect(localDay(from, tz)).toBe(localDay(ts, tz));
          expect(localDay(to, tz)).toBe(nextDay(localDay(ts, tz), tz));
          expect(previousDay(to, tz)).toBe(localDay(ts, tz));
          expect(Math.abs(offsetMinutes(ts, tz)) % 15).toBe(0);
        },
      ),
    );
  });

  it('a local day is 24 h in Indonesia (no DST) and starts at local midnight', () => {
    const { from, to } = dayWindow('2026-12-01', 'Asia/Jakarta');
    expect(new Date(from).toISOString()).toBe('2026-11-30T17:00:00.000Z');
    expect(to - from).toBe(86_400_000);
    expect(dayWindow('2026-12-01', 'Asia/Jayapura').from).toBe(Date.parse('2026-11-30T15:00:00Z'));
    expect(zonedTimeToUtc('Asia/Makassar', 2026, 12, 31, 23, 59)).toBe(Date.parse('2026-12-31T15:59:00Z'));
  });
});

describe('times typed on the command line are the site local time', () => {
  const now = Date.parse('2026-11-30T18:30:00Z'); // 01:30 WIB on 1 December

  it('today is local midnight of the site, not of the system', () => {
    expect(parseTime('today', now, 'Asia/Jakarta')).toBe(Date.parse('2026-11-30T17:00:00Z'));
    expect(parseTime('today', now, 'UTC')).toBe(Date.parse('2026-11-30T00:00:00Z'));
  });

  it('a date or a date-time without an offset is local; one with an offset is taken as given', () => {
    expect(parseTime('2026-11-20', now, 'Asia/Jakarta')).toBe(Date.parse('2026-11-19T17:00:00Z'));
    expect(parseTime('2026-11-20T18:00', now, 'Asia/Jakarta')).toBe(Date.parse('2026-11-20T11:00:00Z'));
    expect(parseTime('2026-11-20 18:00:30', now, 'Asia/Makassar')).toBe(Date.parse('2026-11-20T10:00:30Z'));
    expect(parseTime('2026-11-20T18:00:00Z', now, 'Asia/Jakarta')).toBe(Date.parse('2026-11-20T18:00:00Z'));
    expect(parseTime('6h', now, 'Asia/Jakarta')).toBe(now - 6 * 3_600_000);
  });

  it('refuses a date that does not exist with a sentence that shows the forms', () => {
    expect(() => parseTime('2026-13-40', now, 'Asia/Jakarta')).toThrow(
      /is not a time; use e\.g\. 2026-11-20/,
    );
  });
});
