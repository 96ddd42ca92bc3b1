import { type Cipher, createCipheriv } from 'node:crypto';

/**
 * LoRaWAN 1.0.x data-frame crypto (MIC by AES-CMAC, FRMPayload by AES in counter blocks) over
 * node:crypto, for the uplink path. lora-packet does the same through crypto-js and builds a new
 * cipher, subkeys and a dozen WordArrays per frame: that was ~90 % of the CPU an uplink cost (P2).
 * Here each session key keeps one open AES-128-ECB cipher and its CMAC subkeys, so a frame costs
 * three or four block encryptions. Equality with lora-packet is proven by
 * test/unit/lorawan-crypto.test.ts (random keys, counters and payloads).
 */

const BLOCK = 16;

/** One key's open ECB cipher (never finalised, so it encrypts block after block) and CMAC subkeys. */
class AesKey {
  private readonly ecb: Cipher;
  readonly k1: Buffer;
  readonly k2: Buffer;

  constructor(key: Uint8Array) {
    this.ecb = createCipheriv('aes-128-ecb', key, null);
    this.ecb.setAutoPadding(false);
    // RFC 4493 §2.3: L = AES(K, 0); K1 = L << 1 (⊕ 0x87 on carry); K2 = K1 << 1 likewise.
    this.k1 = doubled(this.encrypt(Buffer.alloc(BLOCK)));
    this.k2 = doubled(this.k1);
  }

  /** ECB over whole blocks: each 16 bytes in gives its 16 bytes out, nothing held back. */
  encrypt(blocks: Uint8Array): Buffer {
    return this.ecb.update(blocks);
  }
}

function doubled(b: Buffer): Buffer {
  const out = Buffer.alloc(BLOCK);
  for (let i = 0; i < BLOCK; i++) out[i] = ((b[i] ?? 0) << 1) | ((b[i + 1] ?? 0) >> 7);
  if ((b[0] ?? 0) & 0x80) out[BLOCK - 1] = (out[BLOCK - 1] ?? 0) ^ 0x87;
  return out;
}

/**
 * Per key buffer: sessions hold their keys as Buffers made once (sessionFromConfig, the join
 * server), so the same object comes back with every frame; a dropped session frees its cipher.
 */
const keys = new WeakMap<Uint8Array, AesKey>();

function aesKey(key: Uint8Array): AesKey {
  let k = keys.get(key);
  if (k === undefined) {
    if (key.length !== BLOCK) throw new RangeError(`AES-128 key of ${key.length} bytes`);
    k = new AesKey(key);
    keys.set(key, k);
  }
  return k;
}

/** AES-CMAC (RFC 4493) of `msg` under `key`, all 16 bytes. */
export function aesCmac(key: Uint8Array, msg: Uint8Array): Buffer {
  const k = aesKey(key);
  const n = Math.max(1, Math.ceil(msg.length / BLOCK));
  const complete = msg.length > 0 && msg.length % BLOCK === 0;
  let x: Buffer = Buffer.alloc(BLOCK);
  for (let b = 0; b < n - 1; b++) {
    for (let i = 0; i < BLOCK; i++) x[i] = (x[i] ?? 0) ^ (msg[b * BLOCK + i] ?? 0);
    x = k.encrypt(x);
  }
  const sub = complete ? k.k1 : k.k2;
  const base = (n - 1) * BLOCK;
  for (let i = 0; i < BLOCK; i++) {
    const at = base + i;
    // The last block, padded with 10…0 when it is short (or the message is empty).
    const m = at < msg.length ? (msg[at] ?? 0) : at === msg.length ? 0x80 : 0;
    x[i] = (x[i] ?? 0) ^ m ^ (sub[i] ?? 0);
  }
  return k.encrypt(x);
}

/** Uplink 0, downlink 1 (LoRaWAN 1.0.x §4.3.3, §4.4). */
export type Direction = 0 | 1;

/** The block B0 / Ai header shared by MIC and keystream: dir, DevAddr and FCnt little-endian. */
function writeBlockHeader(
  b: Buffer,
  at: number,
  first: number,
  dir: Direction,
  devAddr: number,
  fcnt: number,
) {
  b[at] = first;
  b[at + 5] = dir;
  b.writeUInt32LE(devAddr >>> 0, at + 6);
  b.writeUInt32LE(fcnt >>> 0, at + 10);
}

/**
 * The 4-byte MIC of a data frame: CMAC(NwkSKey, B0 | MHDR..FRMPayload). `msg` is the PHYPayload
 * without its MIC; `devAddr` as the number the wire's little-endian bytes make; `fcnt` 32-bit.
 */
export function dataMic(
  nwkSKey: Uint8Array,
  dir: Direction,
  devAddr: number,
  fcnt: number,
  msg: Uint8Array,
): Buffer {
  const b = Buffer.alloc(BLOCK + msg.length);
  writeBlockHeader(b, 0, 0x49, dir, devAddr, fcnt);
  b[15] = msg.length;
  b.set(msg, BLOCK);
  return aesCmac(nwkSKey, b).subarray(0, 4);
}

/**
 * Encrypts or decrypts an FRMPayload (the same XOR with the keystream AES(K, A1) | AES(K, A2)…);
 * K is the AppSKey for FPort > 0 and the NwkSKey for FPort 0, which the caller picks.
 */
export function cryptFrmPayload(
  key: Uint8Array,
  dir: Direction,
  devAddr: number,
  fcnt: number,
  payload: Uint8Array,
): Buffer {
  const blocks = Math.ceil(payload.length / BLOCK);
  const a = Buffer.alloc(blocks * BLOCK);
  for (let i = 0; i < blocks; i++) {
    writeBlockHeader(a, i * BLOCK, 0x01, dir, devAddr, fcnt);
    a[i * BLOCK + 15] = i + 1;
  }
  const s = aesKey(key).encrypt(a);
  const out = Buffer.allocUnsafe(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = (payload[i] ?? 0) ^ (s[i] ?? 0);
  return out;
}
