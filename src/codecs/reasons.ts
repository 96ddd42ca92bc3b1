import type { Parsed } from '../domain/index.js';
import { reject } from '../domain/index.js';

/**
 * Why a line from a serial port (or a line-shaped MQTT payload) was refused by the pure parsers
 * in this folder. Each name is a counter; the list is closed so a dashboard knows every column.
 */
export const LINE_REASONS = [
  'empty',
  'too_long',
  'bad_syntax',
  'bad_checksum',
  'bad_node',
  'bad_seq',
  'unknown_type',
  'missing_field',
  'bad_value',
  'bad_json',
] as const;
export type LineReason = (typeof LINE_REASONS)[number];

/** Refusals the ingest pipeline adds after parsing, against its node list and sequence state. */
export const PIPELINE_REASONS = ['unknown_node', 'duplicate', 'node_mismatch'] as const;
export type PipelineReason = (typeof PIPELINE_REASONS)[number];

/** Every serial ingest rejection reason, in the order `siaga status` lists them. */
export const SERIAL_REASONS = [...LINE_REASONS, ...PIPELINE_REASONS] as const;
export type SerialReason = LineReason | PipelineReason;

/** One line for technicians reading `siaga status`: what went wrong and where to look. */
export const REASON_TEXT: Readonly<Record<SerialReason, string>> = {
  empty: 'blank line (only spaces or line ends)',
  too_long: 'line over 256 bytes, discarded up to the next newline (wrong baud rate or noise?)',
  bad_syntax: 'line does not follow the $SG1,node,seq,type,key=value*CS or JSON line format',
  bad_checksum: 'SG1 checksum does not match the line: bytes corrupted on the wire',
  bad_node: 'node id is not 1-32 of a-z, 0-9 and "-" starting with a letter or digit',
  bad_seq: 'sequence number is not a whole number from 0 to 4294967295',
  unknown_type: 'reading type is not one of hb pir seis beam cam fence gps btn',
  missing_field: 'a field the reading type requires is absent (e.g. pir without n)',
  bad_value: 'a field value is out of range or of the wrong kind (e.g. cut=2, label=cow)',
  bad_json: 'line starts with "{" but is not a valid JSON object',
  unknown_node: 'well-formed frame from a node that is not in the config',
  duplicate: 'same or older sequence number than the last frame from that node',
  node_mismatch: 'a local-broker client sent a frame for a node other than the one it logged in as',
};

export function isLineReason(s: string): s is LineReason {
  return (LINE_REASONS as readonly string[]).includes(s);
}

export function isSerialReason(s: string): s is SerialReason {
  return (SERIAL_REASONS as readonly string[]).includes(s);
}

/** `reject` with the reason checked by the compiler against {@link LINE_REASONS}. */
export function refuse(reason: LineReason, detail?: string): Parsed<never> {
  return reject(reason, detail);
}
