import type { Frame, Parsed, Values } from '../domain/index.js';
import { isReadingType, ok } from '../domain/index.js';
import { validateFields } from './normalize.js';
import { refuse } from './reasons.js';
import { isFieldKey, isNodeId, SEQ_MAX } from './sg1.js';

/** Node timestamps must be positive and exact as a double (below 2^53). */
const TS_LIMIT = 2 ** 53;

/** Keys of a JSON line that describe the frame; every other key is a field value. */
const FRAME_KEYS = new Set(['node', 'seq', 'type', 'ts']);

function firstNonSpace(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return i;
  }
  return -1;
}

/**
 * Parses the JSON form of a frame (docs/wire.md §1), e.g. `{"node":"pir-07","seq":1236,"type":"pir","n":1}`.
 * Frame keys follow the SG1 rules (node id grammar, seq 0..4294967295, a known type); `ts` is an
 * optional integer epoch-ms in (0, 2^53). Every other key must match the SG1 key grammar and hold a
 * finite number or a string (text); booleans, null, arrays and objects are `bad_value`. Then the
 * per-type rules of {@link validateFields}. A repeated key keeps its last value (JSON.parse's rule).
 * Never throws.
 */
export function parseJsonLine(line: string): Parsed<Frame> {
  const at = firstNonSpace(line);
  if (at === -1 || line.charCodeAt(at) !== 0x7b) return refuse('bad_json', 'does not start with {');
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch (e) {
    return refuse('bad_json', e instanceof Error ? e.message : 'unparsable');
  }
  // The first non-space byte was `{`, so a successful parse is an object (never an array or null).
  const obj = doc as Record<string, unknown>;

  const node = obj.node;
  if (node === undefined) return refuse('missing_field', 'node');
  if (typeof node !== 'string' || !isNodeId(node)) return refuse('bad_node', String(node).slice(0, 40));

  const seq = obj.seq;
  if (seq === undefined) return refuse('missing_field', 'seq');
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0 || seq > SEQ_MAX) {
    return refuse('bad_seq', String(seq).slice(0, 40));
  }

  const type = obj.type;
  if (type === undefined) return refuse('missing_field', 'type');
  if (typeof type !== 'string' || !isReadingType(type))
    return refuse('unknown_type', String(type).slice(0, 40));

  const ts = obj.ts;
  if (ts !== undefined && (typeof ts !== 'number' || !Number.isInteger(ts) || ts <= 0 || ts >= TS_LIMIT)) {
    return refuse('bad_value', 'ts must be epoch milliseconds');
  }

  const v: Values = {};
  for (const key of Object.keys(obj)) {
    if (FRAME_KEYS.has(key)) continue;
    // The key grammar also keeps `__proto__` (an own key after JSON.parse) out of `v`.
    if (!isFieldKey(key)) return refuse('bad_syntax', `bad key "${key.slice(0, 40)}"`);
    const x = obj[key];
    if (typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x))) v[key] = x;
    else return refuse('bad_value', `${key} must be a number or text`);
  }

  const valid = validateFields(type, v);
  if (!valid.ok) return valid;
  const frame: Frame = { node, seq, type, v: valid.value };
  if (ts !== undefined) frame.ts = ts;
  return ok(frame);
}
