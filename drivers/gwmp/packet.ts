import type { Parsed } from '../../src/domain/index.js';
import { ok, reject } from '../../src/domain/index.js';
import { viewOf } from '../../src/util/bytes.js';

/**
 * Pure codec for the Semtech UDP packet forwarder protocol (GWMP), version 2 (PROTOCOL.TXT of
 * lora_pkt_fwd / sx1302_hal). Bytes in, typed packet out; no sockets here, so the codec is
 * fuzzed and benchmarked on plain buffers.
 *
 *     byte 0      version (2)
 *     bytes 1-2   token (random, echoed by the answer)
 *     byte 3      identifier
 *     bytes 4-11  gateway EUI (PUSH_DATA, PULL_DATA, TX_ACK only)
 *     rest        JSON object (PUSH_DATA, PULL_RESP, optional on TX_ACK)
 */

export const GWMP_VERSION = 2;

export const GwmpId = {
  PUSH_DATA: 0x00,
  PUSH_ACK: 0x01,
  PULL_DATA: 0x02,
  PULL_RESP: 0x03,
  PULL_ACK: 0x04,
  TX_ACK: 0x05,
} as const;
export type GwmpIdValue = (typeof GwmpId)[keyof typeof GwmpId];

/** Header lengths per identifier: the three gateway-sent kinds carry the 8-byte EUI. */
const HEADER_LEN = new Map<number, number>([
  [GwmpId.PUSH_DATA, 12],
  [GwmpId.PUSH_ACK, 4],
  [GwmpId.PULL_DATA, 12],
  [GwmpId.PULL_RESP, 4],
  [GwmpId.PULL_ACK, 4],
  [GwmpId.TX_ACK, 12],
]);

/** The protocol's own ceiling (a UDP payload); the configured limit may be lower. */
export const MAX_DATAGRAM_BYTES = 65_535;

export interface GwmpHeader {
  version: number;
  token: number;
  id: GwmpIdValue;
  /** 16 lowercase hex digits; present for PUSH_DATA, PULL_DATA and TX_ACK. */
  gatewayEui?: string;
}

/** Body of PUSH_DATA. Entries are not validated here: the uplink handler judges each rxpk. */
export interface PushBody {
  rxpk?: unknown[];
  stat?: Record<string, unknown>;
  [k: string]: unknown;
}

/** Body of TX_ACK (`{"txpk_ack":{"error":"NONE"}}`); older forwarders send none. */
export interface TxAckBody {
  txpk_ack?: { error?: string; warn?: string; value?: number; [k: string]: unknown };
  [k: string]: unknown;
}

/** A downlink as sent in PULL_RESP (`{"txpk":{...}}`). Fields per PROTOCOL.TXT §6. */
export interface Txpk {
  imme?: boolean;
  tmst?: number;
  tmms?: number;
  freq: number;
  rfch: number;
  powe?: number;
  modu: 'LORA' | 'FSK';
  datr: string | number;
  codr?: string;
  fdev?: number;
  ipol?: boolean;
  prea?: number;
  size: number;
  data: string;
  ncrc?: boolean;
  [k: string]: unknown;
}

export type GwmpPacket =
  | { kind: 'push_data'; token: number; gatewayEui: string; body: PushBody }
  | { kind: 'push_ack'; token: number }
  | { kind: 'pull_data'; token: number; gatewayEui: string }
  | { kind: 'pull_resp'; token: number; body: { txpk: Txpk } }
  | { kind: 'pull_ack'; token: number }
  | { kind: 'tx_ack'; token: number; gatewayEui: string; body: TxAckBody };

/** Reads the fixed header. Rejects: `too_large`, `too_short`, `bad_version`, `unknown_id`. */
export function decodeHeader(buf: Uint8Array, maxBytes = MAX_DATAGRAM_BYTES): Parsed<GwmpHeader> {
  if (buf.length > maxBytes) return reject('too_large', `${buf.length} bytes`);
  if (buf.length < 4) return reject('too_short', `${buf.length} bytes`);
  const view = viewOf(buf);
  const version = view.getUint8(0);
  // Version 1 forwarders do not send TX_ACK and differ in PULL_RESP tokens; we speak 2 only.
  if (version !== GWMP_VERSION) return reject('bad_version', `version ${version}`);
  const id = view.getUint8(3);
  const headerLen = HEADER_LEN.get(id);
  if (headerLen === undefined) return reject('unknown_id', `identifier 0x${id.toString(16)}`);
  if (buf.length < headerLen) return reject('too_short', `${buf.length} bytes for identifier ${id}`);
  const token = view.getUint16(1);
  const header: GwmpHeader = { version, token, id: id as GwmpIdValue };
  if (headerLen === 12) header.gatewayEui = euiOf(buf);
  return ok(header);
}

/** The gateway EUI of a 12-byte header; only for identifiers whose header length was checked. */
function euiOf(buf: Uint8Array): string {
  return Buffer.from(buf.buffer, buf.byteOffset + 4, 8).toString('hex');
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Parses the JSON tail; it must be one object (never an array, string or null). */
function parseObject(buf: Uint8Array, from: number): Parsed<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(buf.subarray(from)));
  } catch (e) {
    return reject('bad_json', e instanceof Error ? e.message : 'unparseable');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return reject('bad_json', 'body is not a JSON object');
  }
  return ok(value as Record<string, unknown>);
}

/**
 * Decodes a whole datagram. Besides the header reasons, rejects `bad_json` when the body is
 * not a JSON object or its `rxpk`/`stat`/`txpk` members have the wrong shape, and `trailing_bytes`
 * when a header-only packet carries more.
 */
export function decodeGwmp(buf: Uint8Array, maxBytes = MAX_DATAGRAM_BYTES): Parsed<GwmpPacket> {
  const h = decodeHeader(buf, maxBytes);
  if (!h.ok) return h;
  const { token, id } = h.value;
  switch (id) {
    case GwmpId.PUSH_ACK:
    case GwmpId.PULL_ACK:
      if (buf.length !== 4) return reject('trailing_bytes', `${buf.length} bytes`);
      return ok({ kind: id === GwmpId.PUSH_ACK ? 'push_ack' : 'pull_ack', token });
    case GwmpId.PULL_DATA:
      if (buf.length !== 12) return reject('trailing_bytes', `${buf.length} bytes`);
      return ok({ kind: 'pull_data', token, gatewayEui: euiOf(buf) });
    case GwmpId.PUSH_DATA: {
      const body = parseObject(buf, 12);
      if (!body.ok) return body;
      const { rxpk, stat } = body.value;
      if (rxpk !== undefined && !Array.isArray(rxpk)) return reject('bad_json', 'rxpk is not an array');
      if (stat !== undefined && (typeof stat !== 'object' || stat === null || Array.isArray(stat))) {
        return reject('bad_json', 'stat is not an object');
      }
      return ok({ kind: 'push_data', token, gatewayEui: euiOf(buf), body: body.value as PushBody });
    }
    case GwmpId.PULL_RESP: {
      const body = parseObject(buf, 4);
      if (!body.ok) return body;
      const txpk = body.value.txpk;
      if (typeof txpk !== 'object' || txpk === null || Array.isArray(txpk)) {
        return reject('bad_json', 'txpk is not an object');
      }
      return ok({ kind: 'pull_resp', token, body: { txpk: txpk as Txpk } });
    }
    case GwmpId.TX_ACK: {
      // An empty tail means "no error" (PROTOCOL.TXT §5.5); some forwarders pad it with a NUL.
      const rest = buf.subarray(12);
      if (rest.length === 0 || (rest.length === 1 && rest[0] === 0)) {
        return ok({ kind: 'tx_ack', token, gatewayEui: euiOf(buf), body: {} });
      }
      const end = rest[rest.length - 1] === 0 ? buf.length - 1 : buf.length;
      const body = parseObject(buf.subarray(0, end), 12);
      if (!body.ok) return body;
      const ack = body.value.txpk_ack;
      if (ack !== undefined && (typeof ack !== 'object' || ack === null || Array.isArray(ack))) {
        return reject('bad_json', 'txpk_ack is not an object');
      }
      return ok({ kind: 'tx_ack', token, gatewayEui: euiOf(buf), body: body.value as TxAckBody });
    }
  }
}

/**
 * A txpk sending `phy` at once (`imme`) on one frequency, as a Class C downlink does; the RX1/RX2
 * choice and the region's values are the caller's (AS923-2 RX2: 921.4 MHz, SF10BW125).
 */
export function immediateTxpk(phy: Buffer, radio: { freq: number; datr: string; powe?: number }): Txpk {
  return {
    imme: true,
    freq: radio.freq,
    rfch: 0,
    powe: radio.powe ?? 14,
    modu: 'LORA',
    datr: radio.datr,
    codr: '4/5',
    // Downlinks use inverted IQ so other gateways' uplink receivers do not hear them.
    ipol: true,
    size: phy.length,
    data: phy.toString('base64'),
  };
}

function header(token: number, id: number): Buffer {
  const b = Buffer.alloc(4);
  b[0] = GWMP_VERSION;
  b.writeUInt16BE(token & 0xffff, 1);
  b[3] = id;
  return b;
}

function withEui(token: number, id: number, gatewayEui: string): Buffer {
  const eui = Buffer.from(gatewayEui, 'hex');
  if (eui.length !== 8) throw new RangeError(`gateway EUI must be 16 hex digits, got "${gatewayEui}"`);
  return Buffer.concat([header(token, id), eui]);
}

export const encodePushAck = (token: number): Buffer => header(token, GwmpId.PUSH_ACK);
export const encodePullAck = (token: number): Buffer => header(token, GwmpId.PULL_ACK);

export function encodePullResp(token: number, txpk: Txpk): Buffer {
  return Buffer.concat([header(token, GwmpId.PULL_RESP), Buffer.from(JSON.stringify({ txpk }))]);
}

/** Forwarder side (simulator, tests). */
export function encodePushData(token: number, gatewayEui: string, body: PushBody): Buffer {
  return Buffer.concat([withEui(token, GwmpId.PUSH_DATA, gatewayEui), Buffer.from(JSON.stringify(body))]);
}

/** Forwarder side (simulator, tests). */
export function encodePullData(token: number, gatewayEui: string): Buffer {
  return withEui(token, GwmpId.PULL_DATA, gatewayEui);
}

/** Forwarder side (simulator, tests). `error` omitted sends the bare 12-byte form. */
export function encodeTxAck(token: number, gatewayEui: string, error?: string): Buffer {
  const head = withEui(token, GwmpId.TX_ACK, gatewayEui);
  if (error === undefined) return head;
  return Buffer.concat([head, Buffer.from(JSON.stringify({ txpk_ack: { error } }))]);
}
