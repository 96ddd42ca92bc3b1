import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSg1Values, plainDecimal } from '../../src/codecs/sg1.js';

/** The value a field must get: what the general path (Number of the text) gives, else the text. */
function expected(text: string): number | string {
  const decimal = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text);
  const x = Number(text);
  return decimal && Number.isFinite(x) ? x : text;
}

const plainText = fc.stringMatching(/^-?\d{1,18}(\.\d{1,18})?$/);
const anyValue = fc.oneof(
  plainText,
  fc.stringMatching(/^-?[0-9.]{1,12}$/),
  fc.stringMatching(/^-?\d{1,4}(\.\d{1,4})?[eE][+-]?\d{1,3}$/),
  fc.double({ noNaN: true }).map(String),
  fc.integer().map(String),
  fc.stringMatching(/^[a-z0-9._-]{1,12}$/),
);

describe('SG1 numbers computed from their digits (P1)', () => {
  it('a plain decimal of at most 15 digits is exactly Number(text), -0 included; anything else is left to the general path', () => {
    fc.assert(
      fc.property(plainText, (text) => {
        const fast = plainDecimal(text, 0, text.length);
        const digits = text.replace(/[-.]/g, '').length;
        if (digits <= 15) expect(Object.is(fast, Number(text))).toBe(true);
        else expect(fast).toBeNaN();
      }),
      { numRuns: 5000 },
    );
    expect(Object.is(plainDecimal('-0', 0, 2), -0)).toBe(true);
    expect(plainDecimal('x=3.71,', 2, 6)).toBe(3.71);
    for (const t of ['', '-', '.5', '5.', '1e3', '1.2.3', '0x1f', '--1', '1-2']) {
      expect(plainDecimal(t, 0, t.length)).toBeNaN();
    }
  });

  it('every value reads as it did before the fast path: a finite decimal as its number, else its text', () => {
    fc.assert(
      fc.property(fc.constantFrom('n', 'bat', 'volt', 'kv', 'x_1'), anyValue, (key, text) => {
        const r = parseSg1Values(`${key}=${text},temp=27`);
        if (!r.ok) {
          // Only characters the frame forbids may refuse it; none of the generators makes them.
          throw new Error(`refused ${text}: ${r.detail}`);
        }
        const got = r.value[key];
        const want = expected(text);
        expect(typeof got).toBe(typeof want);
        expect(Object.is(got, want)).toBe(true);
        expect(r.value.temp).toBe(27);
      }),
      { numRuns: 3000 },
    );
  });
});
