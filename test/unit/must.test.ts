import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvariantError, isSiagaError } from '../../src/domain/index.js';
import { viewOf } from '../../src/util/bytes.js';
import { must } from '../../src/util/must.js';

describe('must()', () => {
  it('returns a value that is there, falsy ones included', () => {
    expect(must(0, 'zero')).toBe(0);
    expect(must('', 'empty')).toBe('');
    expect(must(null, 'null')).toBeNull();
  });

  it('names what is missing with a typed invariant error, never a later undefined', () => {
    let caught: unknown;
    try {
      must([1, 2][5], 'the sixth item');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InvariantError);
    expect(isSiagaError(caught) && caught.code).toBe('invariant');
    expect((caught as Error).message).toBe('the sixth item is missing');
  });
});

describe('viewOf()', () => {
  it('reads exactly the bytes of a slice of a larger buffer, and throws past its end', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 64 }), fc.nat(60), (bytes, off) => {
        const start = off % (bytes.length - 3);
        const slice = Buffer.from(bytes).subarray(start, start + 4);
        const v = viewOf(slice);
        expect(v.byteLength).toBe(4);
        expect(v.getUint32(0, true)).toBe(slice.readUInt32LE(0));
        expect(() => v.getUint8(4)).toThrow(RangeError);
      }),
    );
  });
});
