import type { Frame, Parsed, Values } from '../domain/index.js';
import { ok, READING_TYPES, type ReadingType } from '../domain/index.js';
import { fieldProblem } from './normalize.js';
import { refuse } from './reasons.js';

// The parser is a hand-written scan over char codes: the serial path must sustain well over
// 300,000 lines/s, and a scan has no regex backtracking to exploit with hostile input.

const DOLLAR = 0x24;
const STAR = 0x2a;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const EQUALS = 0x3d;
const CR = 0x0d;
const PREFIX = '$SG1,';

/** Largest sequence number; the node's counter wraps to 0 after it. */
export const SEQ_MAX = 4294967295;
const NODE_MAX = 32;
const KEY_MAX = 16;

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isLower = (c: number) => c >= 0x61 && c <= 0x7a;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20; // fold A-F onto a-f
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

function nodeOk(s: string, from: number, to: number): boolean {
  const n = to - from;
  if (n < 1 || n > NODE_MAX) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!(isLower(c) || isDigit(c) || (c === MINUS && i > from))) return false;
  }
  return true;
}

/** Node id grammar of docs/wire.md §1: `[a-z0-9][a-z0-9-]{0,31}`. */
export function isNodeId(s: string): boolean {
  return nodeOk(s, 0, s.length);
}

function keyOk(s: string, from: number, to: number): boolean {
  const n = to - from;
  if (n < 1 || n > KEY_MAX || !isLower(s.charCodeAt(from))) return false;
  for (let i = from + 1; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!(isLower(c) || isDigit(c) || c === 0x5f)) return false;
  }
  return true;
}

/** Field key grammar: `[a-z][a-z0-9_]{0,15}` (so never `__proto__` or other odd names). */
export function isFieldKey(s: string): boolean {
  return keyOk(s, 0, s.length);
}

/** `-?d+(.d+)?([eE][+-]?d+)?` — plain decimals plus the exponent form `String(n)` may print. */
function isDecimal(s: string, from: number, to: number): boolean {
  let i = from;
  if (s.charCodeAt(i) === MINUS) i++;
  const intStart = i;
  while (i < to && isDigit(s.charCodeAt(i))) i++;
  if (i === intStart) return false;
  if (i < to && s.charCodeAt(i) === DOT) {
    const fracStart = ++i;
    while (i < to && isDigit(s.charCodeAt(i))) i++;
    if (i === fracStart) return false;
  }
  if (i < to && (s.charCodeAt(i) | 0x20) === 0x65) {
    i++;
    const sign = s.charCodeAt(i);
    if (sign === 0x2b || sign === MINUS) i++;
    const expStart = i;
    while (i < to && isDigit(s.charCodeAt(i))) i++;
    if (i === expStart) return false;
  }
  return i === to;
}

/** Text values are printable ASCII without the frame's own delimiters `$ * , =`. */
function valueCharOk(c: number): boolean {
  return c > 0x20 && c < 0x7f && c !== DOLLAR && c !== STAR && c !== COMMA && c !== EQUALS;
}

/**
 * Keys of docs/wire.md §1 (the field rules of normalize.ts), as the string constants themselves:
 * a known key is matched in place, so the hot path neither slices nor interns a new string (P1).
 */
const KNOWN_KEYS = [
  'n',
  'f',
  'p',
  'kv',
  'bat',
  'pgv',
  'cut',
  'lat',
  'lon',
  'conf',
  'hdop',
  'rssi',
  'temp',
  'label',
];

function keyAt(s: string, from: number, to: number): string | undefined {
  const n = to - from;
  for (const k of KNOWN_KEYS) if (k.length === n && s.startsWith(k, from)) return k;
  return undefined;
}

/** The reading type in `s[from, to)` as its constant, matched in place; undefined if unknown. */
function typeAt(s: string, from: number, to: number): ReadingType | undefined {
  const n = to - from;
  for (const t of READING_TYPES) if (t.length === n && s.startsWith(t, from)) return t;
  return undefined;
}

/** Largest power of ten with an exact double; also bounds the fraction digits of the fast path. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * The value of a plain decimal `-?d+(.d+)?` with at most 15 digits, computed from its digits, or
 * NaN when `s[from, to)` is anything else (the caller then takes the general path). Exactly
 * `Number(text)`: the digits form an integer below 2^53 and 10^k is exact, so the one division is
 * IEEE-rounded from exact operands, i.e. the double nearest the decimal (sg1-number.test.ts).
 */
export function plainDecimal(s: string, from: number, to: number): number {
  let i = from;
  const negative = s.charCodeAt(i) === MINUS;
  if (negative) i++;
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; i < to; i++) {
    const c = s.charCodeAt(i);
    if (isDigit(c)) {
      m = m * 10 + (c - 0x30);
      digits++;
    } else if (c === DOT && frac === -1 && digits > 0) {
      frac = digits;
    } else {
      return Number.NaN;
    }
  }
  if (digits === 0 || digits > 15 || frac === digits) return Number.NaN;
  const x = frac === -1 ? m : m / (POW10[digits - frac] as number);
  return negative ? -x : x;
}

/**
 * Parses `key=value[,key=value]*` in `s[from, to)` into a fresh object. Returns the reason and
 * detail as a refusal; values become numbers when they are finite decimals, else text.
 */
function scanValues(s: string, from: number, to: number): Parsed<Values> {
  const v: Values = {};
  let i = from;
  while (i < to) {
    let j = s.indexOf(',', i);
    if (j === -1 || j > to) j = to;
    const eq = s.indexOf('=', i);
    if (eq === -1 || eq >= j) return refuse('bad_syntax', `field "${s.slice(i, j)}" is not key=value`);
    let key = keyAt(s, i, eq);
    if (key === undefined) {
      if (!keyOk(s, i, eq)) return refuse('bad_syntax', `bad key "${s.slice(i, eq)}"`);
      key = s.slice(i, eq);
    }
    // Own-property check: keys like `constructor` are legal and must not collide with the prototype.
    if (Object.hasOwn(v, key)) return refuse('bad_syntax', `duplicate key ${key}`);
    if (eq + 1 === j) return refuse('bad_syntax', `empty value for ${key}`);
    const fast = plainDecimal(s, eq + 1, j);
    if (!Number.isNaN(fast)) v[key] = fast;
    else {
      for (let k = eq + 1; k < j; k++) {
        if (!valueCharOk(s.charCodeAt(k))) return refuse('bad_syntax', `bad character in value of ${key}`);
      }
      const text = s.slice(eq + 1, j);
      if (isDecimal(s, eq + 1, j)) {
        const x = Number(text);
        // `1e999` is decimal-shaped but not finite: keep it as text so validation names the field.
        v[key] = Number.isFinite(x) ? x : text;
      } else {
        v[key] = text;
      }
    }
    if (j === to) return ok(v);
    i = j + 1;
    if (i === to) return refuse('bad_syntax', 'trailing comma');
  }
  return ok(v);
}

/**
 * Parses the value list of an SG1 body, `n=3,bat=3.71` (also the LoRa codec `sg1` payload).
 * Field rules per type are not applied here; callers run {@link validateFields}.
 */
export function parseSg1Values(body: string): Parsed<Values> {
  return body.length === 0 ? ok({}) : scanValues(body, 0, body.length);
}

/** XOR of every char code of `body` (the bytes strictly between `$` and `*`), as 2 upper-case hex digits. */
export function sg1Checksum(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return ((x & 0xff) | 0x100).toString(16).slice(1).toUpperCase();
}

/**
 * Parses one SG1 line (docs/wire.md §1) `$SG1,<node>,<seq>,<type>[,<key>=<value>]*<checksum>`, with or
 * without a trailing `\r`. The string holds one char per byte (latin1), as LineSplitter yields.
 * Checks in order: shape and checksum, node, seq, type, fields, then the per-type field rules of
 * {@link validateFields}; the first failure is the reason. Never throws.
 */
export function parseSg1(line: string): Parsed<Frame> {
  let end = line.length;
  if (end > 0 && line.charCodeAt(end - 1) === CR) end--;
  if (!line.startsWith(PREFIX)) return refuse('bad_syntax', 'does not start with $SG1,');
  const star = end - 3;
  if (star < PREFIX.length || line.charCodeAt(star) !== STAR) {
    return refuse('bad_syntax', 'does not end with *<2 hex digits>');
  }
  const hi = hexValue(line.charCodeAt(end - 2));
  const lo = hexValue(line.charCodeAt(end - 1));
  if (hi < 0 || lo < 0) return refuse('bad_syntax', 'checksum is not 2 hex digits');

  let sum = 0;
  let seen = 0;
  for (let i = 1; i < star; i++) {
    const c = line.charCodeAt(i);
    sum ^= c;
    seen |= c;
  }
  // Chars above 0xff never come from a byte stream, and two of them could cancel in the XOR.
  if (seen > 0xff) return refuse('bad_syntax', 'non-byte character');
  if (sum !== ((hi << 4) | lo)) {
    return refuse(
      'bad_checksum',
      `computed ${sg1Checksum(line.slice(1, star))}, line has ${line.slice(end - 2, end)}`,
    );
  }

  const nodeStart = PREFIX.length;
  const nodeEnd = line.indexOf(',', nodeStart);
  if (nodeEnd === -1 || nodeEnd > star) return refuse('bad_syntax', 'missing seq and type');
  if (!nodeOk(line, nodeStart, nodeEnd)) return refuse('bad_node', line.slice(nodeStart, nodeEnd));

  const seqStart = nodeEnd + 1;
  const seqEnd = line.indexOf(',', seqStart);
  if (seqEnd === -1 || seqEnd > star) return refuse('bad_syntax', 'missing type');
  let seq = 0;
  for (let i = seqStart; i < seqEnd; i++) {
    const c = line.charCodeAt(i);
    if (!isDigit(c)) return refuse('bad_seq', line.slice(seqStart, seqEnd));
    seq = seq * 10 + (c - 0x30);
    if (seq > SEQ_MAX) return refuse('bad_seq', line.slice(seqStart, seqEnd));
  }
  if (seqEnd === seqStart) return refuse('bad_seq', 'empty');

  const typeStart = seqEnd + 1;
  let typeEnd = line.indexOf(',', typeStart);
  if (typeEnd === -1 || typeEnd > star) typeEnd = star;
  const type = typeAt(line, typeStart, typeEnd);
  if (type === undefined) return refuse('unknown_type', line.slice(typeStart, typeEnd));

  let values: Parsed<Values>;
  if (typeEnd === star) values = ok({});
  else if (typeEnd + 1 === star) return refuse('bad_syntax', 'trailing comma');
  else values = scanValues(line, typeEnd + 1, star);
  if (!values.ok) return values;

  const problem = fieldProblem(type, values.value);
  if (problem !== undefined) return problem;
  return ok({ node: line.slice(nodeStart, nodeEnd), seq, type, v: values.value });
}

function encodeValue(x: number | string): string {
  // String(-0) is "0"; keep the sign so parse(encode(f)) gives back exactly f.
  return typeof x === 'number' && Object.is(x, -0) ? '-0' : String(x);
}

/**
 * Encodes a frame as one SG1 line with its checksum and without a line end. The frame is taken
 * as valid (node/key grammar, finite numbers, text without `$*,=` that does not read as a number);
 * then `parseSg1(encodeSg1(f))` gives back `f`. Used by the simulator and tests.
 */
export function encodeSg1(frame: Pick<Frame, 'node' | 'seq' | 'type' | 'v'>): string {
  let body = `SG1,${frame.node},${frame.seq},${frame.type}`;
  for (const key of Object.keys(frame.v)) {
    const x = frame.v[key];
    if (x !== undefined) body += `,${key}=${encodeValue(x)}`;
  }
  return `$${body}*${sg1Checksum(body)}`;
}
