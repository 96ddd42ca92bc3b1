import type { Parsed, ReadingType, Values } from '../domain/index.js';
import { ok, reject } from '../domain/index.js';
import { viewOf } from '../util/bytes.js';
import { validateFields } from './normalize.js';

/**
 * FRMPayload codecs of LoRa nodes (docs/wire.md §2): Cayenne LPP and the SG1 key=value body.
 * Pure: bytes and a reading type in, validated values out.
 */

/** FPort → reading type; the same table serves both codecs. */
export const FPORT_TYPES: ReadonlyMap<number, ReadingType> = new Map<number, ReadingType>([
  [1, 'hb'],
  [2, 'pir'],
  [3, 'seis'],
  [4, 'beam'],
  [5, 'cam'],
  [6, 'fence'],
  [7, 'gps'],
  [8, 'btn'],
]);

export const TYPE_FPORTS: ReadonlyMap<ReadingType, number> = new Map(
  [...FPORT_TYPES].map(([port, type]) => [type, port] as const),
);

/** Cayenne camera label codes; the index is the code. */
const CAM_CODES = ['unknown', 'elephant', 'human', 'animal', 'vehicle'] as const;

const LPP_DIGITAL = 0x00;
const LPP_ANALOG = 0x02;
const LPP_TEMPERATURE = 0x67;
const LPP_GPS = 0x88;

/** Data bytes per LPP type we accept; any other type is `bad_lpp`. */
const LPP_SIZES = new Map<number, number>([
  [LPP_DIGITAL, 1],
  [LPP_ANALOG, 2],
  [LPP_TEMPERATURE, 2],
  [LPP_GPS, 9],
]);

/** One (channel, LPP type) slot of a reading type and the field(s) it fills. */
interface Slot {
  channel: number;
  lppType: number;
  field: string;
}

const slot = (channel: number, lppType: number, field: string): Slot => ({ channel, lppType, field });

/** Present on every type: battery on channel 8, temperature on channel 9. */
const COMMON_SLOTS: Slot[] = [slot(8, LPP_ANALOG, 'bat'), slot(9, LPP_TEMPERATURE, 'temp')];

/** Per reading type, the channels of docs/wire.md §2. `label` and `lat` are special-cased below. */
const TYPE_SLOTS: ReadonlyMap<ReadingType, Slot[]> = new Map<ReadingType, Slot[]>([
  ['hb', []],
  ['pir', [slot(1, LPP_DIGITAL, 'n')]],
  ['seis', [slot(1, LPP_ANALOG, 'pgv'), slot(2, LPP_ANALOG, 'f')]],
  ['beam', [slot(1, LPP_DIGITAL, 'cut')]],
  ['cam', [slot(1, LPP_DIGITAL, 'label'), slot(2, LPP_ANALOG, 'conf')]],
  ['fence', [slot(1, LPP_ANALOG, 'kv')]],
  // GPS carries lat and lon in one record; altitude is dropped, it is no field of a gps reading.
  ['gps', [slot(1, LPP_GPS, 'lat')]],
  ['btn', [slot(1, LPP_DIGITAL, 'p')]],
]);

function findSlot(type: ReadingType, channel: number, lppType: number): Slot | undefined {
  for (const s of TYPE_SLOTS.get(type) ?? []) if (s.channel === channel && s.lppType === lppType) return s;
  for (const s of COMMON_SLOTS) if (s.channel === channel && s.lppType === lppType) return s;
  return undefined;
}

/** LPP integers are big-endian; a 24-bit one is its signed top byte above 16 unsigned bits. */
const int24 = (b: DataView, i: number): number => (b.getInt8(i) << 16) | b.getUint16(i + 1);
// Scaled integers come back as e.g. 3.7100000000000004 without rounding to the LPP resolution.
const scaled = (raw: number, div: number): number => Math.round(raw) / div;

/** Decodes Cayenne LPP for `type`. Reasons: `bad_lpp` (unknown channel/type, truncated, repeated). */
export function decodeLpp(type: ReadingType, payload: Uint8Array): Parsed<Values> {
  const v: Values = {};
  const view = viewOf(payload);
  let i = 0;
  while (i < payload.length) {
    if (i + 2 > payload.length) return reject('bad_lpp', `truncated record header at byte ${i}`);
    const channel = view.getUint8(i);
    const lppType = view.getUint8(i + 1);
    const size = LPP_SIZES.get(lppType);
    if (size === undefined) return reject('bad_lpp', `unknown LPP type 0x${lppType.toString(16)}`);
    if (i + 2 + size > payload.length) return reject('bad_lpp', `truncated record at byte ${i}`);
    const s = findSlot(type, channel, lppType);
    if (s === undefined)
      return reject('bad_lpp', `channel ${channel} type 0x${lppType.toString(16)} for ${type}`);
    if (s.field in v) return reject('bad_lpp', `channel ${channel} repeated`);
    const d = i + 2;
    if (lppType === LPP_DIGITAL) {
      const raw = view.getUint8(d);
      if (s.field === 'label') {
        const label = CAM_CODES[raw];
        if (label === undefined) return reject('bad_lpp', `camera label code ${raw}`);
        v.label = label;
      } else {
        v[s.field] = raw;
      }
    } else if (lppType === LPP_ANALOG) {
      v[s.field] = scaled(view.getInt16(d), 100);
    } else if (lppType === LPP_TEMPERATURE) {
      v[s.field] = scaled(view.getInt16(d), 10);
    } else {
      v.lat = scaled(int24(view, d), 10_000);
      v.lon = scaled(int24(view, d + 3), 10_000);
    }
    i = d + size;
  }
  return validateFields(type, v);
}

function putInt(buf: number[], x: number, bytes: 2 | 3): void {
  const u = bytes === 2 ? x & 0xffff : x & 0xffffff;
  if (bytes === 3) buf.push((u >> 16) & 0xff);
  buf.push((u >> 8) & 0xff, u & 0xff);
}

function inRange(x: number, bytes: 2 | 3): boolean {
  const lim = bytes === 2 ? 0x8000 : 0x800000;
  return Number.isInteger(x) && x >= -lim && x < lim;
}

/**
 * Encodes values as Cayenne LPP for `type` (simulator, tests, benchmarks). Fields without an LPP
 * channel are refused (`bad_lpp`) rather than silently dropped, so a test cannot lose them.
 */
export function encodeLpp(type: ReadingType, v: Values): Parsed<Buffer> {
  const out: number[] = [];
  const used = new Set<string>();
  for (const s of [...(TYPE_SLOTS.get(type) ?? []), ...COMMON_SLOTS]) {
    const x = v[s.field];
    if (x === undefined) continue;
    used.add(s.field);
    out.push(s.channel, s.lppType);
    if (s.field === 'label') {
      const code = (CAM_CODES as readonly string[]).indexOf(String(x));
      if (code < 0) return reject('bad_lpp', `label ${String(x)}`);
      out.push(code);
      continue;
    }
    if (typeof x !== 'number') return reject('bad_lpp', `${s.field} is not a number`);
    if (s.lppType === LPP_DIGITAL) {
      if (!Number.isInteger(x) || x < 0 || x > 255) return reject('bad_lpp', `${s.field}=${x} not 0..255`);
      out.push(x);
    } else if (s.lppType === LPP_GPS) {
      const lon = v.lon;
      if (typeof lon !== 'number') return reject('bad_lpp', 'gps needs lat and lon');
      used.add('lon');
      const la = Math.round(x * 10_000);
      const lo = Math.round(lon * 10_000);
      if (!inRange(la, 3) || !inRange(lo, 3)) return reject('bad_lpp', 'gps out of range');
      putInt(out, la, 3);
      putInt(out, lo, 3);
      putInt(out, 0, 3);
    } else {
      const r = Math.round(x * (s.lppType === LPP_TEMPERATURE ? 10 : 100));
      if (!inRange(r, 2)) return reject('bad_lpp', `${s.field}=${x} out of range`);
      putInt(out, r, 2);
    }
  }
  for (const k of Object.keys(v)) if (!used.has(k)) return reject('bad_lpp', `no LPP channel for ${k}`);
  return ok(Buffer.from(out));
}

const SG1_KEY = /^[a-z][a-z0-9_]{0,15}$/;
const SG1_TEXT = /^[\x21-\x7e]*$/;
const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Decodes the SG1 body codec: the ASCII `key=value[,key=value]*` tail of an SG1 frame after its
 * type (`n=3,bat=3.71`). Values are numbers when they parse, else text. Reason: `bad_sg1`.
 */
export function decodeSg1Body(type: ReadingType, payload: Uint8Array): Parsed<Values> {
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('latin1');
  if (!SG1_TEXT.test(text)) return reject('bad_sg1', 'not printable ASCII');
  const v: Values = {};
  if (text.length > 0) {
    for (const pair of text.split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) return reject('bad_sg1', `not key=value: ${pair.slice(0, 32)}`);
      const key = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (!SG1_KEY.test(key)) return reject('bad_sg1', `bad key ${key.slice(0, 32)}`);
      if (key in v) return reject('bad_sg1', `repeated key ${key}`);
      if (value.length === 0) return reject('bad_sg1', `empty value for ${key}`);
      v[key] = NUMBER.test(value) ? Number(value) : value;
    }
  }
  return validateFields(type, v);
}

/** Encodes values as an SG1 body (simulator, tests). */
export function encodeSg1Body(_type: ReadingType, v: Values): Parsed<Buffer> {
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v)) {
    if (!SG1_KEY.test(k) || String(x).includes(',') || String(x).length === 0) {
      return reject('bad_sg1', `cannot encode ${k}`);
    }
    parts.push(`${k}=${x}`);
  }
  return ok(Buffer.from(parts.join(','), 'latin1'));
}

export type CodecName = 'lpp' | 'sg1';

export interface PayloadCodec {
  decode(type: ReadingType, payload: Uint8Array): Parsed<Values>;
  encode(type: ReadingType, v: Values): Parsed<Buffer>;
}

/** Device codec name (config `lora.devices[].codec`) → codec. */
export const CODECS: ReadonlyMap<CodecName, PayloadCodec> = new Map<CodecName, PayloadCodec>([
  ['lpp', { decode: decodeLpp, encode: encodeLpp }],
  ['sg1', { decode: decodeSg1Body, encode: encodeSg1Body }],
]);
