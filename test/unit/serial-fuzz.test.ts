import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseLine } from '../../src/codecs/line.js';
import { LineSplitter } from '../../src/codecs/line-splitter.js';
import { validateFields } from '../../src/codecs/normalize.js';
import { isLineReason } from '../../src/codecs/reasons.js';
import { encodeSg1, parseSg1 } from '../../src/codecs/sg1.js';
import type { Frame, Parsed } from '../../src/domain/index.js';
import { isReadingType } from '../../src/domain/index.js';

// R3 (docs/quality.md) at unit-test size: ~100,000 random and mutated lines in a few seconds. The
// 1,000,000-line run belongs to the slow suite.

const EXAMPLES = [
  '$SG1,pir-07,1234,pir,n=3,bat=3.71*16',
  '$SG1,cam-02,88,cam,label=elephant,conf=0.91,bat=3.90*2F',
  '$SG1,fence-01,5,fence,kv=2.1,bat=12.6*4C',
  '$SG1,btn-pos1,17,btn,p=1*2F',
  '$SG1,seis-03,402,seis,pgv=0.82,f=8.5*21',
  '$SG1,beam-11,77,beam,cut=1,bat=3.60*1B',
  '$SG1,pir-07,1235,hb,bat=3.70,rssi=-71*1A',
  '$SG1,col-ek1,9,gps,lat=-4.9271,lon=105.7823,hdop=1.2,bat=3.95*44',
].map((l) => {
  const r = parseSg1(l);
  if (!r.ok) throw new Error(`example refused: ${l}`);
  return r.value;
});

let checked = 0;
afterAll(() => {
  expect(checked).toBeGreaterThanOrEqual(100_000);
});

/** The contract of parseLine: ok with a frame that passes every rule, or a listed reason. */
function expectContract(r: Parsed<Frame>): void {
  checked++;
  if (!r.ok) {
    if (!isLineReason(r.reason)) throw new Error(`unlisted reason ${r.reason}`);
    return;
  }
  const f = r.value;
  const good =
    /^[a-z0-9][a-z0-9-]{0,31}$/.test(f.node) &&
    Number.isInteger(f.seq) &&
    f.seq >= 0 &&
    f.seq <= 4294967295 &&
    isReadingType(f.type) &&
    Object.values(f.v).every((x) => typeof x === 'string' || Number.isFinite(x)) &&
    Object.keys(f.v).every((k) => /^[a-z][a-z0-9_]{0,15}$/.test(k)) &&
    (f.ts === undefined || (Number.isInteger(f.ts) && f.ts > 0)) &&
    validateFields(f.type, f.v).ok;
  if (!good) throw new Error(`accepted an invalid frame: ${JSON.stringify(f)}`);
}

/** Checks a line, never letting a throw pass as a result. */
function check(line: string): void {
  expectContract(parseLine(line));
}

/** A valid line in either encoding: an example with a random node and seq. */
const validLine = fc
  .record({
    base: fc.constantFrom(...EXAMPLES),
    node: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,31}$/),
    seq: fc.integer({ min: 0, max: 4294967295 }),
    json: fc.boolean(),
  })
  .map(({ base, node, seq, json }) =>
    json
      ? JSON.stringify({ node, seq, type: base.type, ...base.v })
      : encodeSg1({ node, seq, type: base.type, v: base.v }),
  );

/** One byte flipped, replaced, inserted or deleted (strings hold one char per byte, latin1). */
const mutated = fc
  .tuple(
    validLine,
    fc.constantFrom('flip', 'set', 'insert', 'delete'),
    fc.nat(),
    fc.integer({ min: 0, max: 255 }),
  )
  .map(([line, op, at, byte]) => {
    const i = at % (line.length + (op === 'insert' ? 1 : 0));
    const head = line.slice(0, i);
    const tail = line.slice(i + 1);
    switch (op) {
      case 'flip':
        return head + String.fromCharCode(line.charCodeAt(i) ^ (1 << (byte % 8))) + tail;
      case 'set':
        return head + String.fromCharCode(byte) + tail;
      case 'insert':
        return head + String.fromCharCode(byte) + line.slice(i);
      default:
        return head + tail;
    }
  });

const randomText = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a).toString('latin1')),
  fc.string({ maxLength: 80 }).map((s) => `$SG1,${s}`),
  fc.string({ maxLength: 80 }).map((s) => `{${s}`),
);

describe('serial fuzz: parseLine never throws and answers a frame or a listed reason', () => {
  it('25,000 random strings and bytes', () => {
    fc.assert(
      fc.property(fc.array(randomText, { minLength: 50, maxLength: 50 }), (lines) => {
        for (const l of lines) check(l);
      }),
      { numRuns: 500 },
    );
  });

  it('60,000 valid lines with one byte flipped, replaced, inserted or deleted', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(mutated, { minLength: 50, maxLength: 50 }), (lines) => {
        for (const l of lines) {
          const r = parseLine(l);
          expectContract(r);
          if (r.ok) accepted++;
        }
      }),
      { numRuns: 1200 },
    );
    // Some mutations are harmless (a digit of a JSON seq, a JSON space), most must be caught.
    expect(accepted).toBeLessThan(60_000 / 2);
  });

  it('20,000 lines from noisy byte streams through LineSplitter, any chunking', () => {
    const segment = fc.oneof(
      mutated.map((l) => Buffer.from(l, 'latin1')),
      validLine.map((l) => Buffer.from(`${l}\r`, 'latin1')),
      fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
    );
    fc.assert(
      fc.property(
        fc.array(segment, { minLength: 50, maxLength: 50 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (segments, cuts) => {
          const bytes = Buffer.concat(segments.flatMap((s) => [s, Buffer.from('\n')]));
          const splitter = new LineSplitter();
          const at = [...new Set(cuts.map((c) => c % bytes.length))].sort((a, b) => a - b);
          let from = 0;
          let lines = 0;
          let tooLong = 0;
          for (const to of [...at, bytes.length]) {
            const r = splitter.push(bytes.subarray(from, to));
            for (const l of r.lines) check(l);
            lines += r.lines.length;
            tooLong += r.tooLong;
            from = to;
            expect(splitter.pendingBytes).toBeLessThanOrEqual(257);
          }
          // Each of the 50 newline-ended segments (plus its embedded newlines) is a line or too long.
          expect(lines + tooLong).toBeGreaterThanOrEqual(50);
        },
      ),
      { numRuns: 400 },
    );
  });
});
