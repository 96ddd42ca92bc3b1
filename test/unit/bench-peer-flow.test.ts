import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeSg1, parseSg1, sg1Checksum } from '../../src/codecs/sg1.js';
import type { Values } from '../../src/domain/index.js';
import { validFrame } from '../helpers/sg1-arbitraries.js';

/**
 * The Node-RED peer of `npm run bench:peer` (bench/peer/node-red/flow.json) must parse SG1 as siaga does,
 * or the comparison measures two different jobs: its function node is run here on the lines
 * siaga's parser is tested with, and both must accept and refuse the same lines.
 */

interface FlowNode {
  type: string;
  name?: string;
  func?: string;
}

interface Out {
  reading: { node: string; seq: number; type: string; v: Values };
  params: Record<string, unknown>;
}

const flow = JSON.parse(
  readFileSync(new URL('../../bench/peer/node-red/flow.json', import.meta.url), 'utf8'),
) as FlowNode[];
const func = flow.find((n) => n.type === 'function' && n.name === 'parse SG1')?.func;

/** The function node as Node-RED runs it: `msg`, `node` and `context` in scope; null drops the message. */
function peerParse(line: string): { out: Out | null; warnings: string[]; rejected: number } {
  if (func === undefined) throw new Error('bench/peer/node-red/flow.json has no function node "parse SG1"');
  const store = new Map<string, unknown>();
  const warnings: string[] = [];
  const node = { warn: (w: string) => warnings.push(w), status: () => {} };
  const context = { get: (k: string) => store.get(k), set: (k: string, v: unknown) => store.set(k, v) };
  const run = new Function('msg', 'node', 'context', func) as (
    m: unknown,
    n: unknown,
    c: unknown,
  ) => Out | null;
  // The serial node hands over the line with its "\n", as split on "\n".
  const out = run({ payload: `${line}\n`, _msgid: 'm-1' }, node, context);
  return { out, warnings, rejected: Number(store.get('rejected') ?? 0) };
}

const withChecksum = (line: string): string => {
  const star = line.lastIndexOf('*');
  return star < 1 ? line : `${line.slice(0, star + 1)}${sg1Checksum(line.slice(1, star))}`;
};

/** Bytes an edit may put into a line: the frame's own delimiters, digits, letters, a CR. */
const byte = fc.constantFrom(...'$SG1,*=.-+eE0123456789abcdefnprtvxz_ \r!~');
const edit = fc.record({ at: fc.nat(), op: fc.constantFrom('replace', 'insert', 'delete'), c: byte });

function applyEdits(line: string, edits: { at: number; op: string; c: string }[]): string {
  let l = line;
  for (const { at, op, c } of edits) {
    const i = at % Math.max(1, l.length);
    l =
      op === 'replace'
        ? l.slice(0, i) + c + l.slice(i + 1)
        : op === 'insert'
          ? l.slice(0, i) + c + l.slice(i)
          : l.slice(0, i) + l.slice(i + 1);
  }
  return l;
}

describe('bench/peer flow: the Node-RED function node parses SG1 as siaga does', () => {
  it('accepts a verified example of wire.md with the same values and binds them for the INSERT', () => {
    const line = '$SG1,col-ek1,9,gps,lat=-4.9271,lon=105.7823,hdop=1.2,bat=3.95*44';
    const { out } = peerParse(line);
    expect(out?.reading).toMatchObject({
      node: 'col-ek1',
      seq: 9,
      type: 'gps',
      v: { lat: -4.9271, lon: 105.7823, hdop: 1.2, bat: 3.95 },
    });
    expect(out?.params).toMatchObject({
      $node: 'col-ek1',
      $seq: 9,
      $type: 'gps',
      $via: 'serial',
      $v: '{"lat":-4.9271,"lon":105.7823,"hdop":1.2,"bat":3.95}',
    });
  });

  it('refuses a wrong checksum, says why and counts it, as siaga does', () => {
    const line = '$SG1,pir-07,1235,hb,bat=3.70,rssi=-71*1B';
    expect(parseSg1(line)).toMatchObject({ ok: false, reason: 'bad_checksum' });
    const r = peerParse(line);
    expect(r.out).toBeNull();
    expect(r.rejected).toBe(1);
    expect(r.warnings[0]).toContain('bad_checksum');
  });

  it('gives the same reading for every valid frame', () => {
    fc.assert(
      fc.property(validFrame, (f) => {
        const line = encodeSg1(f);
        // Longer lines never reach either parser: the line splitters drop them (too_long).
        fc.pre(line.length <= 256);
        const mine = parseSg1(line);
        const peer = peerParse(line).out;
        expect(mine.ok).toBe(true);
        expect(peer?.reading).toMatchObject(mine.ok ? mine.value : {});
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts and refuses the same edited lines, with and without a repaired checksum', () => {
    fc.assert(
      fc.property(
        validFrame,
        fc.array(edit, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (f, edits, repair) => {
          let line = applyEdits(encodeSg1(f), edits);
          if (repair) line = withChecksum(line);
          // A "\n" or a line over 256 bytes is the splitter's business before either parser.
          fc.pre(!line.includes('\n') && line.length <= 256);
          const mine = parseSg1(line);
          const peer = peerParse(line).out;
          expect(peer !== null).toBe(mine.ok);
          if (mine.ok && peer) expect(peer.reading).toMatchObject(mine.value);
        },
      ),
      { numRuns: 5000 },
    );
  });
});
