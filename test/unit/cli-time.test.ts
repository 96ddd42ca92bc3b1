import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { siteTz } from '../../src/cli/time.js';
import { formatLocalTime } from '../../src/util/local-time.js';
import { must } from '../helpers/must.js';

const T = Date.UTC(2026, 11, 1, 3, 24, 9); // 10:24 in Jakarta

describe('CLI times: 2026-12-01 10:24 WIB in the site zone', () => {
  it('names Indonesia’s three zones and gives others their offset', () => {
    expect(formatLocalTime(T, 'Asia/Jakarta')).toBe('2026-12-01 10:24 WIB');
    expect(formatLocalTime(T, 'Asia/Makassar')).toBe('2026-12-01 11:24 WITA');
    expect(formatLocalTime(T, 'Asia/Jayapura')).toBe('2026-12-01 12:24 WIT');
    expect(formatLocalTime(T, 'UTC')).toBe('2026-12-01 03:24 UTC');
    expect(formatLocalTime(T, 'America/St_Johns')).toBe('2026-11-30 23:54 UTC-03:30');
    expect(formatLocalTime(T, 'Asia/Jakarta', { seconds: true })).toBe('2026-12-01 10:24:09 WIB');
  });

  it('never prints the US month/day order, and crosses midnight in the site zone', () => {
    expect(formatLocalTime(Date.UTC(2026, 0, 12, 17, 30), 'Asia/Jakarta')).toBe('2026-01-13 00:30 WIB');
  });

  it('uses gateway.site.tz when the config has one, else WIB', () => {
    const site = {
      name: 'x',
      village_code: '18.07.11.2005',
      park: 'TNWK',
      lat: 0,
      lon: 0,
      tz: 'Asia/Jakarta',
    };
    expect(siteTz({ gateway: { id: 'g', site, min_valid_time: '2026-11-01' } })).toBe('Asia/Jakarta');
    expect(
      siteTz({
        gateway: { id: 'g', site: { ...site, tz: 'Asia/Makassar' }, min_valid_time: '' },
      }),
    ).toBe('Asia/Makassar');
    expect(siteTz(undefined)).toBe('Asia/Jakarta');
  });

  it('property: WIB is UTC+7 to the minute, for any instant in the next century', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }), (ms) => {
        const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d) WIB$/.exec(formatLocalTime(ms, 'Asia/Jakarta'));
        const [y, mo, d, h, mi] = must(m, `a WIB time in ${formatLocalTime(ms, 'Asia/Jakarta')}`)
          .slice(1)
          .map(Number) as [number, number, number, number, number];
        expect(Date.UTC(y, mo - 1, d, h - 7, mi)).toBe(Math.floor(ms / 60_000) * 60_000);
      }),
    );
  });
});
