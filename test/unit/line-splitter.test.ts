import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/codecs/line-splitter.js';

/** Feeds `bytes` cut at the given offsets; returns every line and the too-long count. */
function split(
  bytes: Buffer,
  cuts: number[],
  maxBytes = 256,
): { lines: string[]; tooLong: number; peak: number } {
  const s = new LineSplitter(maxBytes);
  const lines: string[] = [];
  let tooLong = 0;
  let peak = 0;
  let from = 0;
  for (const at of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    const r = s.push(bytes.subarray(from, at));
    lines.push(...r.lines);
    tooLong += r.tooLong;
    peak = Math.max(peak, s.pendingBytes);
    from = at;
  }
  return { lines, tooLong, peak };
}

const b = (s: string) => Buffer.from(s, 'latin1');

describe('LineSplitter: table', () => {
  const cases: [string, string, string[], number][] = [
    ['one line', 'abc\n', ['abc'], 0],
    ['CRLF', 'abc\r\n', ['abc'], 0],
    ['unfinished line is held', 'abc\ndef', ['abc'], 0],
    ['empty lines are lines', '\n\r\n\n', ['', '', ''], 0],
    ['lone CR inside a line is kept', 'a\rb\n', ['a\rb'], 0],
    ['only one CR is dropped', 'a\r\r\n', ['a\r'], 0],
    ['exactly max', `${'x'.repeat(8)}\n`, ['x'.repeat(8)], 0],
    ['exactly max plus CR', `${'x'.repeat(8)}\r\n`, ['x'.repeat(8)], 0],
    ['max + 1', `${'x'.repeat(9)}\nok\n`, ['ok'], 1],
    ['max + 1 with CR', `${'x'.repeat(9)}\r\nok\n`, ['ok'], 1],
    ['far too long, unfinished', `${'x'.repeat(100)}`, [], 1],
    ['two too long lines', `${'x'.repeat(20)}\n${'y'.repeat(20)}\nz\n`, ['z'], 2],
    ['high bytes pass through as latin1', 'caf\u00e9\xff\n', ['caf\u00e9\xff'], 0],
  ];
  it.each(cases)('%s', (_name, input, lines, tooLong) => {
    const whole = split(b(input), [], 8);
    expect(whole).toMatchObject({ lines, tooLong });
    const bytewise = split(
      b(input),
      [...input].map((_, i) => i),
      8,
    );
    expect(bytewise).toMatchObject({ lines, tooLong });
  });

  it('discards a long line up to the next newline, across chunks', () => {
    const s = new LineSplitter(8);
    expect(s.push(b('0123456789'))).toEqual({ lines: [], tooLong: 1 });
    expect(s.push(b('more noise'))).toEqual({ lines: [], tooLong: 0 });
    expect(s.pendingBytes).toBe(0);
    expect(s.push(b('tail\nok\n'))).toEqual({ lines: ['ok'], tooLong: 0 });
  });

  it('keeps nothing of a chunk after push: the serial source reuses one read buffer', () => {
    const sp = new LineSplitter(64);
    const buf = Buffer.alloc(16);
    const read = (text: string) => sp.push(buf.subarray(0, buf.write(text, 'latin1')));
    expect(read('$SG1,pir-07').lines).toEqual([]);
    expect(read(',12*00\nhb').lines).toEqual(['$SG1,pir-07,12*00']);
    buf.fill(0x58); // what a next read would leave in the buffer
    expect(read('\n').lines).toEqual(['hb']);
  });

  it('reset drops an unfinished line', () => {
    const s = new LineSplitter();
    s.push(b('$SG1,pir-07,12'));
    s.reset();
    expect(s.push(b('ok\n')).lines).toEqual(['ok']);
  });

  it('counts bytes, not chars, against the limit', () => {
    // 4 UTF-8 chars of 3 bytes: 12 bytes over a limit of 8.
    expect(split(Buffer.from('\u4e00\u4e00\u4e00\u4e00\n', 'utf8'), [], 8)).toMatchObject({
      lines: [],
      tooLong: 1,
    });
  });
});

/** Reference framer: split the whole input at once, the obvious way. */
function reference(bytes: Buffer, maxBytes: number): { lines: string[]; tooLong: number } {
  const parts = bytes.toString('latin1').split('\n');
  const tail = parts.pop() ?? '';
  const lines: string[] = [];
  let tooLong = 0;
  for (const p of parts) {
    const line = p.endsWith('\r') ? p.slice(0, -1) : p;
    if (line.length > maxBytes) tooLong++;
    else lines.push(line);
  }
  // An unfinished line is counted as soon as it can no longer fit (max + a possible CR).
  if (tail.length > maxBytes + 1) tooLong++;
  return { lines, tooLong };
}

/** Byte streams rich in newlines, CRs and near-limit runs. */
const stream = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a)),
      fc.constantFrom(b('\n'), b('\r\n'), b('\r'), b('x'.repeat(15)), b('y'.repeat(16)), b('z'.repeat(17))),
    ),
    { maxLength: 40 },
  )
  .map((parts) => Buffer.concat(parts));

describe('LineSplitter: properties', () => {
  it('any chunking of the same bytes yields the same lines and count as the reference', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat({ max: 600 }), { maxLength: 30 }), (bytes, cuts) => {
        const got = split(bytes, cuts, 16);
        expect({ lines: got.lines, tooLong: got.tooLong }).toEqual(reference(bytes, 16));
        expect(got.peak).toBeLessThanOrEqual(17);
      }),
      { numRuns: 2000 },
    );
  });
});
