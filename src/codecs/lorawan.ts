import loraPacketModule from 'lora-packet';
import type { Parsed } from '../domain/index.js';
import { ok, reject } from '../domain/index.js';
import { viewOf } from '../util/bytes.js';
import { cryptFrmPayload, dataMic } from './lorawan-crypto.js';

/**
 * LoRaWAN 1.0.x data-up handling for ABP devices (docs/wire.md §2). Pure: a PHYPayload and the
 * device's session and counter state in, a verified, decrypted uplink out. The uplink's crypto
 * (MIC, FRMPayload decryption) is lorawan-crypto.ts, proven equal to lora-packet's and many
 * times faster (P2); lora-packet builds the downlinks and join frames.
 */

type LoraPacketLib = (typeof loraPacketModule)['default'];
/**
 * lora-packet is CommonJS with `module.exports = modules`; its typings declare an ES default
 * instead, so the real object is the import itself at run time (Node and vitest alike).
 */
export const loraPacket: LoraPacketLib =
  (loraPacketModule as unknown as { default?: LoraPacketLib }).default ??
  (loraPacketModule as unknown as LoraPacketLib);
export type LoraPacket = ReturnType<LoraPacketLib['fromWire']>;

/** MType values of the MHDR (bits 7..5). */
const MTYPE_JOIN_REQUEST = 0;
const MTYPE_UNCONFIRMED_UP = 2;
const MTYPE_CONFIRMED_UP = 4;

/** MHDR(1) + DevAddr(4) + FCtrl(1) + FCnt(2) + MIC(4): the smallest data frame there is. */
const MIN_DATA_LEN = 12;
/** Largest PHYPayload of any LoRa region (DR with 250-byte MACPayload + MHDR + MIC). */
const MAX_PHY_LEN = 255;

/** Session of one ABP device, keys already as buffers (done once at start-up, not per frame). */
export interface AbpSession {
  /** 8 lowercase hex digits, big-endian as printed on the device label. */
  devAddr: string;
  nwkSKey: Buffer;
  appSKey: Buffer;
}

/** A structurally valid data-up frame, before any key is used. */
export interface DataUp {
  devAddr: string;
  /** The 16-bit counter as sent on air. */
  fcnt16: number;
  confirmed: boolean;
  adr: boolean;
  ack: boolean;
  /** null when the frame carries no FPort (MAC commands in FOpts only, or empty). */
  fport: number | null;
  /** Hex of the 4 MIC bytes; with DevAddr and FCnt it identifies a copy of the same frame. */
  mic: string;
  /** DevAddr as the number its little-endian wire bytes make (for the crypto blocks). */
  devAddrNum: number;
  /** The PHYPayload without its MIC: what the MIC signs. */
  signed: Buffer;
  micBytes: Buffer;
  fopts: Buffer;
  /** Still encrypted; empty when absent. */
  frmPayload: Buffer;
}

/**
 * Checks MHDR and lengths, then splits the frame (MHDR | DevAddr | FCtrl | FCnt | FOpts |
 * [FPort | FRMPayload] | MIC). Reasons: `bad_phy`, `join_request`, `unsupported_mtype`.
 */
export function parseDataUp(phy: Uint8Array): Parsed<DataUp> {
  if (phy.length < 1) return reject('bad_phy', 'empty');
  if (phy.length > MAX_PHY_LEN) return reject('bad_phy', `${phy.length} bytes`);
  const view = viewOf(phy);
  const mhdr = view.getUint8(0);
  const mtype = mhdr >> 5;
  // Major version bits other than 0 (LoRaWAN R1) mean a frame format we cannot read.
  if ((mhdr & 0x03) !== 0) return reject('bad_phy', `major version ${mhdr & 0x03}`);
  if (mtype === MTYPE_JOIN_REQUEST) return reject('join_request');
  if (mtype !== MTYPE_UNCONFIRMED_UP && mtype !== MTYPE_CONFIRMED_UP) {
    return reject('unsupported_mtype', `mtype ${mtype}`);
  }
  if (phy.length < MIN_DATA_LEN) return reject('bad_phy', `${phy.length} bytes`);
  const fctrl = view.getUint8(5);
  const foptsLen = fctrl & 0x0f;
  if (phy.length < MIN_DATA_LEN + foptsLen) return reject('bad_phy', `FOpts of ${foptsLen} bytes truncated`);
  // A copy: a reused receive buffer must not change the frame under the checks.
  const frame = Buffer.from(phy);
  const micAt = frame.length - 4;
  const portAt = 8 + foptsLen;
  const fport = portAt < micAt ? (frame[portAt] ?? null) : null;
  return ok({
    // DevAddr and FCnt are little-endian on air; the label prints DevAddr big-endian.
    devAddr: view.getUint32(1, true).toString(16).padStart(8, '0'),
    fcnt16: view.getUint16(6, true),
    confirmed: mtype === MTYPE_CONFIRMED_UP,
    adr: (fctrl & 0x80) !== 0,
    ack: (fctrl & 0x20) !== 0,
    fport,
    mic: frame.toString('hex', micAt),
    devAddrNum: view.getUint32(1, true),
    signed: frame.subarray(0, micAt),
    micBytes: frame.subarray(micAt),
    fopts: frame.subarray(8, portAt),
    frmPayload: fport === null ? Buffer.alloc(0) : frame.subarray(portAt + 1, micAt),
  });
}

/**
 * Extends a 16-bit on-air FCnt to 32 bits next to the last accepted value: of the candidates in
 * the block of `last` and the blocks either side, the one nearest to `last` (ahead on a tie).
 * So a counter that rolled over past 65535 moves up a block, while a value a little behind stays
 * behind and reads as a replay rather than as a MIC failure.
 */
export function extendFcnt(fcnt16: number, last: number | undefined): number {
  if (last === undefined) return fcnt16;
  const base = last - (last % 0x10000) + fcnt16;
  let best = base;
  for (const c of [base - 0x10000, base + 0x10000]) {
    if (c < 0 || c > 0xffffffff) continue;
    const d = Math.abs(c - last);
    const bestD = Math.abs(best - last);
    if (d < bestD || (d === bestD && c > best)) best = c;
  }
  return best;
}

/** The upper 16 bits of a 32-bit FCnt in the byte order lora-packet puts into block B0/Ai (downlinks). */
function fcntMsb(fcnt32: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(Math.floor(fcnt32 / 0x10000) & 0xffff);
  return b;
}

export function verifyMic(up: DataUp, session: AbpSession, fcnt32: number): boolean {
  try {
    return dataMic(session.nwkSKey, 0, up.devAddrNum, fcnt32, up.signed).equals(up.micBytes);
  } catch {
    return false; // a key of the wrong length authenticates nothing
  }
}

/** Decrypts FRMPayload: with the AppSKey for FPort > 0, the NwkSKey for FPort 0 (MAC commands). */
export function decryptPayload(up: DataUp, session: AbpSession, fcnt32: number): Buffer {
  if (up.frmPayload.length === 0) return Buffer.alloc(0);
  const key = up.fport === 0 ? session.nwkSKey : session.appSKey;
  return cryptFrmPayload(key, 0, up.devAddrNum, fcnt32, up.frmPayload);
}

/**
 * Remembers accepted frames (DevAddr, FCnt, MIC) for `windowMs`, so a second copy of a frame
 * (another antenna, a forwarder retry) is a `duplicate`, while an old frame outside it is a
 * `replay`. Time is passed in; entries are kept in arrival order, so pruning pops the front.
 */
export class DedupWindow {
  private readonly seen = new Map<string, number>();
  constructor(private readonly windowMs: number) {}

  private prune(now: number): void {
    for (const [key, ts] of this.seen) {
      if (now - ts <= this.windowMs) break;
      this.seen.delete(key);
    }
  }

  remember(devAddr: string, fcnt32: number, mic: string, now: number): void {
    this.prune(now);
    const key = `${devAddr}/${fcnt32}/${mic}`;
    this.seen.delete(key);
    this.seen.set(key, now);
  }

  has(devAddr: string, fcnt32: number, mic: string, now: number): boolean {
    this.prune(now);
    return this.seen.has(`${devAddr}/${fcnt32}/${mic}`);
  }

  get size(): number {
    return this.seen.size;
  }
}

/** What a verified uplink hands on to its codec. */
export interface OpenedUplink {
  devAddr: string;
  fcnt: number;
  confirmed: boolean;
  adr: boolean;
  ack: boolean;
  /** null when absent; with 0 it means MAC commands only (`macOnly`). */
  fport: number | null;
  /** No application payload: the caller stores the FCnt, counts `mac_only` and stops. */
  macOnly: boolean;
  mic: string;
  /** Decrypted FRMPayload (empty when absent); on FPort 0 these are MAC commands. */
  payload: Buffer;
  /** MAC commands piggybacked in FOpts (LoRaWAN 1.0: in the clear). */
  fopts: Buffer;
}

export interface OpenContext {
  session(devAddr: string): AbpSession | undefined;
  lastFcnt(devAddr: string): number | undefined;
  /** Whether this exact frame was accepted within the dedup window. */
  recentlyAccepted(devAddr: string, fcnt32: number, mic: string): boolean;
}

/**
 * Runs the checks of docs/wire.md §2 in order: frame type, DevAddr, MIC (with the extended FCnt),
 * FCnt freshness, then decryption. Reasons: those of `parseDataUp`, `unknown_devaddr`, `bad_mic`,
 * `duplicate`, `replay`. A MAC-only frame is returned as ok with `macOnly`: its counter is fresh
 * and authentic, so the caller must still store it before counting `mac_only`.
 */
export function openUplink(phy: Uint8Array, ctx: OpenContext): Parsed<OpenedUplink> {
  const parsed = parseDataUp(phy);
  if (!parsed.ok) return parsed;
  const up = parsed.value;
  const session = ctx.session(up.devAddr);
  if (session === undefined) return reject('unknown_devaddr', up.devAddr);
  const last = ctx.lastFcnt(up.devAddr);
  const fcnt = extendFcnt(up.fcnt16, last);
  // MIC before the counter check: an unauthenticated frame must not be told apart as a replay.
  if (!verifyMic(up, session, fcnt)) return reject('bad_mic', `${up.devAddr} fcnt ${fcnt}`);
  if (last !== undefined && fcnt <= last) {
    return ctx.recentlyAccepted(up.devAddr, fcnt, up.mic)
      ? reject('duplicate', `${up.devAddr} fcnt ${fcnt}`)
      : reject('replay', `${up.devAddr} fcnt ${fcnt} <= ${last}`);
  }
  // FPort 0 carries MAC commands for a network server, which we are not; no FPort, likewise.
  const macOnly = up.fport === null || up.fport === 0;
  let payload: Buffer = Buffer.alloc(0);
  // FPort 0 carries MAC commands encrypted with the NwkSKey (lora-packet picks the key by port).
  if (up.fport !== null) {
    try {
      payload = decryptPayload(up, session, fcnt);
    } catch (e) {
      return reject('bad_phy', e instanceof Error ? e.message : 'cannot decrypt');
    }
  }
  return ok({
    devAddr: up.devAddr,
    fcnt,
    confirmed: up.confirmed,
    adr: up.adr,
    ack: up.ack,
    fport: up.fport,
    macOnly,
    mic: up.mic,
    payload,
    fopts: up.fopts,
  });
}

/** AS923-2 (Indonesia) RX2 defaults: 921.4 MHz at DR2. Class C devices listen there. */
export const AS923_2_RX2 = { freq: 921.4, datr: 'SF10BW125' } as const;

/** What one data-down frame carries (a siren command, an ACK, MAC answers, or all at once). */
export interface DataDown {
  /** The caller's 32-bit downlink counter. */
  fcntDown: number;
  /** null: no FPort and no FRMPayload (an ACK or FOpts-only frame). */
  fport: number | null;
  payload?: Buffer;
  confirmed?: boolean;
  /** FCtrl.ACK: acknowledges the device's confirmed uplink. */
  ack?: boolean;
  /** MAC commands in FOpts (at most 15 bytes). */
  fopts?: Buffer;
}

/**
 * Builds a data-down PHYPayload: FRMPayload encrypted with the AppSKey and the MIC with the
 * NwkSKey, both by lora-packet. A frame with no FPort gets its MIC recalculated, because
 * lora-packet signs only frames that carry a payload.
 */
export function buildDataDown(session: AbpSession, d: DataDown): Buffer {
  const fcnt = Buffer.alloc(2);
  fcnt.writeUInt16BE(d.fcntDown & 0xffff);
  const fopts = d.fopts ?? Buffer.alloc(0);
  if (fopts.length > 15) throw new RangeError(`FOpts of ${fopts.length} bytes (at most 15)`);
  const packet = loraPacket.fromFields(
    {
      MType: d.confirmed ? 'Confirmed Data Down' : 'Unconfirmed Data Down',
      DevAddr: Buffer.from(session.devAddr, 'hex'),
      FCtrl: { ADR: false, ACK: d.ack ?? false, ADRACKReq: false, FPending: false },
      FCnt: fcnt,
      FOpts: fopts,
      ...(d.fport === null
        ? { payload: Buffer.alloc(0) }
        : { FPort: d.fport, payload: d.payload ?? Buffer.alloc(0) }),
    },
    session.appSKey,
    session.nwkSKey,
    undefined,
    fcntMsb(d.fcntDown),
  );
  if (d.fport === null) loraPacket.recalculateMIC(packet, session.nwkSKey, undefined, fcntMsb(d.fcntDown));
  const phy = packet.getPHYPayload();
  if (phy === undefined) throw new RangeError('lora-packet built no PHYPayload');
  return phy;
}

/** Turns a config key (32 hex digits) into the buffer lora-packet wants. */
export function sessionFromConfig(d: {
  dev_addr?: string | undefined;
  nwk_s_key?: string | undefined;
  app_s_key?: string | undefined;
}): AbpSession {
  if (d.dev_addr === undefined || d.nwk_s_key === undefined || d.app_s_key === undefined) {
    throw new RangeError(
      `LoRa device ${d.dev_addr ?? '(OTAA)'}: dev_addr, nwk_s_key and app_s_key must be resolved before use`,
    );
  }
  return {
    devAddr: d.dev_addr.toLowerCase(),
    nwkSKey: Buffer.from(d.nwk_s_key, 'hex'),
    appSKey: Buffer.from(d.app_s_key, 'hex'),
  };
}
