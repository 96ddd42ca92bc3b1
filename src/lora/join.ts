import type { AbpSession } from '../codecs/lorawan.js';
import { loraPacket } from '../codecs/lorawan.js';
import type { Parsed } from '../domain/index.js';
import { ok, reject } from '../domain/index.js';

/**
 * LoRaWAN 1.0.x over-the-air activation, the join server's pure part. All crypto is lora-packet's
 * (JoinRequest MIC, JoinAccept MIC and encryption, NwkSKey/AppSKey derivation); the byte order of
 * every field is checked against ChirpStack's published vectors (test/unit/lora-join.test.ts).
 */

/** A JoinRequest as read off the air, before any key is used. */
export interface JoinRequest {
  /** 16 lowercase hex digits, as printed on the device label. */
  joinEui: string;
  devEui: string;
  /** The 16-bit nonce, as a number (little-endian on air). */
  devNonce: number;
  packet: ReturnType<typeof loraPacket.fromWire>;
}

/** MHDR of a JoinRequest, LoRaWAN R1: MType 000, Major 00. */
const MHDR_JOIN_REQUEST = 0x00;
const JOIN_REQUEST_LEN = 23;

/** Reasons: `bad_join` (not a well-formed JoinRequest). */
export function parseJoinRequest(phy: Uint8Array): Parsed<JoinRequest> {
  if (phy.length !== JOIN_REQUEST_LEN) return reject('bad_join', `${phy.length} bytes`);
  if (phy[0] !== MHDR_JOIN_REQUEST) return reject('bad_join', `MHDR 0x${(phy[0] ?? 0).toString(16)}`);
  let packet: JoinRequest['packet'];
  try {
    packet = loraPacket.fromWire(Buffer.from(phy));
  } catch (e) {
    return reject('bad_join', e instanceof Error ? e.message : 'unparseable');
  }
  const { AppEUI, DevEUI, DevNonce } = packet;
  if (AppEUI === undefined || DevEUI === undefined || DevNonce === undefined)
    return reject('bad_join', 'fields');
  return ok({
    joinEui: AppEUI.toString('hex'),
    devEui: DevEUI.toString('hex'),
    devNonce: DevNonce.readUInt16BE(0),
    packet,
  });
}

export function verifyJoinMic(req: JoinRequest, appKey: Buffer): boolean {
  try {
    return loraPacket.verifyMIC(req.packet, undefined, appKey);
  } catch {
    return false;
  }
}

/** What the join server decided for one JoinRequest. */
export interface JoinGrant {
  devAddr: string;
  /** JoinNonce (AppNonce in 1.0.x), 24 bits. */
  joinNonce: number;
  /** 24-bit NetID as 6 hex digits. */
  netId: string;
  /** RX2 data rate for DLSettings (RX1DROffset is 0). */
  rx2Dr: number;
  /** RxDelay in seconds (0 means 1). */
  rxDelayS: number;
  /** CFList channel frequencies, MHz (up to 5), or none. */
  cfList: readonly number[];
}

const be = (n: number, bytes: number): Buffer => {
  const b = Buffer.alloc(bytes);
  b.writeUIntBE(n, 0, bytes);
  return b;
};

/** CFList of type 0: five 24-bit frequencies in units of 100 Hz, little-endian, then CFListType 0. */
export function cfListBytes(freqsMhz: readonly number[]): Buffer {
  if (freqsMhz.length === 0) return Buffer.alloc(0);
  const b = Buffer.alloc(16);
  freqsMhz.slice(0, 5).forEach((f, i) => {
    b.writeUIntLE(Math.round(f * 10_000), i * 3, 3);
  });
  return b;
}

/** Builds the encrypted JoinAccept PHYPayload (MIC and encryption under the AppKey, by lora-packet). */
export function buildJoinAccept(grant: JoinGrant, appKey: Buffer): Buffer {
  const packet = loraPacket.fromFields(
    {
      MType: 'Join Accept',
      AppNonce: be(grant.joinNonce, 3),
      NetID: Buffer.from(grant.netId, 'hex'),
      DevAddr: Buffer.from(grant.devAddr, 'hex'),
      // Buffers, not numbers: lora-packet skips a field given as 0.
      DLSettings: Buffer.from([grant.rx2Dr & 0x0f]),
      RxDelay: Buffer.from([grant.rxDelayS & 0x0f]),
      CFList: cfListBytes(grant.cfList),
    },
    undefined,
    undefined,
    appKey,
  );
  const phy = packet.getPHYPayload();
  if (phy === undefined) throw new RangeError('lora-packet built no JoinAccept');
  return phy;
}

/** NwkSKey and AppSKey of the session a JoinAccept opens (LoRaWAN 1.0.x §6.2.5). */
export function deriveSession(
  appKey: Buffer,
  grant: Pick<JoinGrant, 'devAddr' | 'joinNonce' | 'netId'>,
  devNonce: number,
): AbpSession {
  const keys = loraPacket.generateSessionKeys10(
    appKey,
    Buffer.from(grant.netId, 'hex'),
    be(grant.joinNonce, 3),
    be(devNonce, 2),
  );
  return { devAddr: grant.devAddr, nwkSKey: keys.NwkSKey, appSKey: keys.AppSKey };
}

/**
 * A DevAddr for NetID `netId` (type 0: the 7-bit NwkID in the top bits, then 25 bits of NwkAddr)
 * that `taken` does not hold. `random` gives 25 bits.
 */
export function allocateDevAddr(
  netId: string,
  taken: (addr: string) => boolean,
  random: () => number,
): string {
  const nwkId = Number.parseInt(netId, 16) & 0x7f;
  for (let i = 0; i < 64; i++) {
    const addr = ((nwkId << 25) | (random() & 0x1ffffff)) >>> 0;
    const hex = addr.toString(16).padStart(8, '0');
    if (addr !== 0 && !taken(hex)) return hex;
  }
  throw new RangeError('no free DevAddr after 64 tries');
}
