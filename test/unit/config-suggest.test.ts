import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPath } from '../../src/config/load.js';
import { parsePath } from '../../src/config/locate.js';
import { buildConfigSchema } from '../../src/config/schema.js';
import { allowedKeys, editDistance, nearest } from '../../src/config/suggest.js';

const configSchema = buildConfigSchema();

describe('config suggestions', () => {
  it('counts edits, a swap of neighbours as one', () => {
    expect(editDistance('village_code', 'village_code')).toBe(0);
    expect(editDistance('vilalge_code', 'village_code')).toBe(1);
    expect(editDistance('retention_day', 'retention_days')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('is a distance: zero only for equal words, symmetric, at most the longer length', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        const d = editDistance(a, b);
        expect(d === 0).toBe(a === b);
        expect(editDistance(b, a)).toBe(d);
        expect(d).toBeLessThanOrEqual(Math.max(a.length, b.length));
      }),
    );
  });

  it('suggests only what is close', () => {
    expect(nearest('retention_day', ['path', 'retention_days', 'max_db_mb'])).toBe('retention_days');
    expect(nearest('bogus', ['gateway', 'storage', 'log'])).toBeUndefined();
  });

  it('knows the keys allowed at each place of the schema, following the siren driver', () => {
    expect(allowedKeys(configSchema, ['gateway', 'site'], {})).toEqual(
      expect.arrayContaining(['name', 'village_code', 'lat', 'lon', 'park']),
    );
    expect(allowedKeys(configSchema, ['nodes', 3], {})).toContain('expect_every_s');
    const raw = { sirens: [{ driver: 'print' }, { driver: 'relay' }] };
    expect(allowedKeys(configSchema, ['sirens', 1], raw)).toContain('channel');
    expect(allowedKeys(configSchema, ['detection', 'thresholds'], {})).toEqual(['waspada', 'siaga', 'awas']);
    expect(allowedKeys(configSchema, ['nowhere'], {})).toEqual([]);
  });

  it('reads back every path it formats', () => {
    const seg = fc.oneof(fc.stringMatching(/^[a-z_]{1,8}$/), fc.nat({ max: 99 }));
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z_]{1,8}$/), fc.array(seg, { maxLength: 5 }), (first, rest) => {
        const path = [first, ...rest];
        expect(parsePath(formatPath(path))).toEqual(path);
      }),
    );
  });
});
