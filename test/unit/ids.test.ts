import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { decodeTime, isValid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { encode40, ID_LENGTH, idFactory, randomSeed } from '../../src/util/ids.js';
import { tmpDir } from '../helpers/gateway.js';

describe('reading/event ids', () => {
  it('are valid ULIDs, strictly increasing and unique, whatever the clock does', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 ** 44 }), { minLength: 1, maxLength: 300 }),
        (times) => {
          const next = idFactory();
          const ids = times.map((t) => next(t));
          for (const id of ids) expect(isValid(id) && id.length === ID_LENGTH).toBe(true);
          // Strictly increasing: in sorted order already, and no two alike.
          expect(ids).toEqual([...ids].sort());
          expect(new Set(ids).size).toBe(ids.length);
        },
      ),
    );
  });

  it('carry the time they were made in their first 10 characters', () => {
    const next = idFactory();
    const t = Date.parse('2026-11-25T21:00:00Z');
    const a = next(t);
    const b = next(t + 1);
    expect(decodeTime(a)).toBe(t);
    expect(decodeTime(b)).toBe(t + 1);
    // A clock stepping back keeps the last time: ids never go backwards.
    expect(decodeTime(next(t - 60_000))).toBe(t + 1);
  });

  it('differ between two gateways started at the same moment', () => {
    const a = idFactory();
    const b = idFactory();
    const t = Date.now();
    expect(a(t)).not.toBe(b(t));
  });

  it('roll the low half over into the high half', () => {
    const seed = Buffer.from([0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff]);
    const next = idFactory(seed);
    const id = next(1000);
    expect(id.slice(10)).toBe('0000000200000000');
  });
});

describe('the 40-bit counter text', () => {
  /** Crockford base32, one character per 5 bits, most significant first (the ULID alphabet). */
  const reference = (n: number): string => {
    let out = '';
    for (let i = 0; i < 8; i++) {
      out = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'.charAt(n % 32) + out;
      n = Math.floor(n / 32);
    }
    return out;
  };

  it('is the same 8 characters a digit-by-digit encoding gives, for any value below 2^40', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 - 1 }), (n) => {
        expect(encode40(n)).toBe(reference(n));
      }),
      { numRuns: 5000 },
    );
    for (const n of [0, 1, 31, 32, 1023, 1024, 2 ** 20 - 1, 2 ** 20, 2 ** 40 - 1]) {
      expect(encode40(n)).toBe(reference(n));
    }
  });
});

describe('the random start of a gateway’s ids', () => {
  it('is read from the kernel: as many bytes as asked, different each time', () => {
    const a = randomSeed(10);
    const b = randomSeed(10);
    expect(a.length).toBe(10);
    expect(a.equals(b)).toBe(false);
  });

  it('still comes when the device is missing or gives too little (node:crypto then)', () => {
    const dir = tmpDir('siaga-seed-');
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    for (const device of [join(dir, 'missing'), empty]) {
      const a = randomSeed(10, device);
      expect(a.length).toBe(10);
      expect(a.equals(randomSeed(10, device))).toBe(false);
    }
  });
});
