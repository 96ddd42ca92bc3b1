import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSeq } from '../../src/codecs/sequence.js';

const MAX = 4294967295;
const seqArb = fc.integer({ min: 0, max: MAX });

describe('checkSeq: table (docs/wire.md §1 "Sequence numbers")', () => {
  const cases: [string, number | undefined, number, string, number][] = [
    ['first frame ever', undefined, 1234, 'first', 0],
    ['first frame at 0', undefined, 0, 'first', 0],
    ['next', 1234, 1235, 'next', 0],
    ['next from 0', 0, 1, 'next', 0],
    ['wrap is next', MAX, 0, 'next', 0],
    ['same seq', 1234, 1234, 'duplicate', 0],
    ['same seq 0', 0, 0, 'duplicate', 0],
    ['gap of one', 1234, 1236, 'gap', 1],
    ['gap of 999', 1, 1001, 'gap', 999],
    ['gap across the wrap', MAX - 1, 2, 'gap', 3],
    ['forward to a small seq is a gap', 3, 10, 'gap', 6],
    ['reset to 0', 1234, 0, 'reset', 0],
    ['reset to 15', 20, 15, 'reset', 0],
    ['reset to 1 just after boot', 3, 1, 'reset', 0],
    ['back by 1001', 5000, 3999, 'reset', 0],
    ['back by 2^31', 2 ** 31, 0, 'reset', 0],
    ['huge forward jump reads as backwards → reset', 20, 20 + 2 ** 31, 'reset', 0],
    ['largest forward gap', 20, 20 + 2 ** 31 - 1, 'gap', 2 ** 31 - 2],
    ['back by 1 (late frame)', 1234, 1233, 'duplicate', 0],
    ['back by exactly 1000', 5000, 4000, 'duplicate', 0],
    ['back to 16 is not below 16', 100, 16, 'duplicate', 0],
    ['back across the wrap by 5', 2, MAX - 2, 'duplicate', 0],
  ];
  it.each(cases)('%s', (_name, last, seq, kind, lost) => {
    expect(checkSeq(last, seq)).toEqual({ kind, lost });
  });
});

describe('checkSeq: properties', () => {
  it('a run of consecutive frames (with the wrap) is all next', () => {
    fc.assert(
      fc.property(seqArb, fc.integer({ min: 1, max: 50 }), (start, n) => {
        let last = start;
        for (let i = 0; i < n; i++) {
          const seq = (last + 1) % 2 ** 32;
          expect(checkSeq(last, seq).kind).toBe('next');
          last = seq;
        }
      }),
    );
  });
  it('skipping k frames reports exactly k lost, mod 2^32', () => {
    fc.assert(
      fc.property(seqArb, fc.integer({ min: 1, max: 2 ** 31 - 2 }), (last, k) => {
        const seq = (last + k + 1) % 2 ** 32;
        expect(checkSeq(last, seq)).toEqual({ kind: 'gap', lost: k });
      }),
    );
  });
  it('lost is 0 unless gap, and never negative', () => {
    fc.assert(
      fc.property(fc.option(seqArb, { nil: undefined }), seqArb, (last, seq) => {
        const v = checkSeq(last, seq);
        if (v.kind === 'gap') expect(v.lost).toBeGreaterThan(0);
        else expect(v.lost).toBe(0);
      }),
    );
  });
  it('a step back of at most 1000 to a seq ≥ 16 is a duplicate; to a seq < 16 a reset', () => {
    fc.assert(
      fc.property(seqArb, fc.integer({ min: 1, max: 1000 }), (last, back) => {
        const seq = (last - back + 2 ** 32) % 2 ** 32;
        expect(checkSeq(last, seq).kind).toBe(seq < 16 ? 'reset' : 'duplicate');
      }),
    );
  });
  it('the verdict depends only on the distance, except for the seq < 16 rule', () => {
    fc.assert(
      fc.property(seqArb, seqArb, fc.integer({ min: 16, max: MAX }), (a, b, shift) => {
        const moved = (x: number) => (x + shift) % 2 ** 32;
        if (b < 16 || moved(b) < 16) return;
        expect(checkSeq(moved(a), moved(b))).toEqual(checkSeq(a, b));
      }),
    );
  });
});
