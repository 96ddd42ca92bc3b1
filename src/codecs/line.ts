import { Buffer } from 'node:buffer';
import type { Frame, Parsed } from '../domain/index.js';
import { parseJsonLine } from './jsonline.js';
import { refuse } from './reasons.js';
import { parseSg1 } from './sg1.js';

/** Longest accepted line in bytes, without its line end (docs/wire.md §1, docs/quality.md "Security"). */
export const MAX_LINE_BYTES = 256;

/**
 * Size of `s` in UTF-8 bytes. A line from LineSplitter holds one char per byte (latin1), so any char
 * ≥ 0x80 counts double here; such a line is refused by the parsers anyway, only maybe as `too_long`.
 */
function utf8Bytes(s: string): number {
  // Every UTF-16 unit is at most 3 UTF-8 bytes: short strings need no count.
  return s.length * 3 <= MAX_LINE_BYTES ? 0 : Buffer.byteLength(s, 'utf8');
}

/**
 * Parses one line of the serial protocol (or a line-shaped MQTT payload): an SG1 frame or a JSON
 * line. A trailing `\n`, `\r\n` or `\r` is dropped first. Refusals: over {@link MAX_LINE_BYTES} →
 * `too_long`; nothing but spaces, tabs or CRs → `empty`; first non-space `{` → the JSON line rules; starting
 * with `$SG1,` → the SG1 rules; anything else → `bad_syntax`. Never throws.
 */
export function parseLine(line: string): Parsed<Frame> {
  let end = line.length;
  if (end > 0 && line.charCodeAt(end - 1) === 0x0a) end--;
  if (end > 0 && line.charCodeAt(end - 1) === 0x0d) end--;
  const s = end === line.length ? line : line.slice(0, end);

  if (s.length > MAX_LINE_BYTES || utf8Bytes(s) > MAX_LINE_BYTES) {
    return refuse('too_long', `${Buffer.byteLength(s, 'utf8')} bytes`);
  }
  if (s.startsWith('$SG1,')) return parseSg1(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0d) continue;
    if (c === 0x7b) return parseJsonLine(s);
    return refuse('bad_syntax', 'neither $SG1, nor a JSON object');
  }
  return refuse('empty');
}
