import fc from 'fast-check';
import { encodePushData } from '../../drivers/gwmp/packet.js';
import { FUZZ_EUI } from '../fixtures/lora-devices.js';

/**
 * The LoRa fuzz inputs shared by the quick unit fuzz (test/unit/lora-fuzz) and the slow R3 run
 * (test/slow/r3-fuzz): one definition of "a mutated uplink", sized differently by each.
 */

/** One byte-level edit: 0 overwrite, 1 truncate, 2 insert, 3 delete, 4 flip one bit. */
export interface ByteEdit {
  at: number;
  byte: number;
  op: number;
}

export function byteEdit(opts: { maxAt: number; maxOp: 3 | 4 }): fc.Arbitrary<ByteEdit> {
  return fc.record({ at: fc.nat(opts.maxAt), byte: fc.nat(255), op: fc.nat(opts.maxOp) });
}

/** Applies the edits in order to a copy of `seed`. */
export function mutate(seed: Uint8Array, edits: ByteEdit[]): Buffer {
  let b = Buffer.from(seed);
  for (const { at, byte, op } of edits) {
    const i = at % (b.length + 1);
    if (op === 0) b[Math.min(i, b.length - 1)] = byte;
    else if (op === 1) b = b.subarray(0, i);
    else if (op === 2) b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
    else if (op === 3) b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
    else if (b.length > 0) {
      const j = Math.min(i, b.length - 1);
      b.writeUInt8(b.readUInt8(j) ^ (1 << (byte & 7)), j);
    }
  }
  return b;
}

/** Random datagrams with a plausible GWMP header (version, token, identifier) and any tail. */
export function randomDatagram(opts: { versions: number[]; maxTail: number }): fc.Arbitrary<Buffer> {
  return fc
    .tuple(
      fc.constantFrom(...opts.versions),
      fc.nat(0xffff),
      fc.nat(7),
      fc.uint8Array({ maxLength: opts.maxTail }),
    )
    .map(([v, t, id, tail]) => Buffer.concat([Buffer.from([v, t >> 8, t & 0xff, id]), tail]));
}

/** A value a broken packet forwarder might put in any rxpk member. */
export function junkField(junk: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof(junk, fc.string({ maxLength: 12 }), fc.double(), fc.base64String({ maxLength: 80 }));
}

const RXPK_KEYS = ['data', 'rssi', 'lsnr', 'freq', 'datr', 'stat', 'size', 'rsig'] as const;

/** An rxpk object whose members, each present or not, are junk; `extraKeys` adds more members. */
export function junkRxpk(field: fc.Arbitrary<unknown>, extraKeys: string[] = []) {
  const keys = [...RXPK_KEYS, ...extraKeys];
  return fc.record(Object.fromEntries(keys.map((k) => [k, field])), { requiredKeys: [] });
}

/** A well-formed PUSH_DATA carrying `phy` in `copies` identical rxpk entries. */
export function pushDataWith(phy: Uint8Array, opts: { freq: number; copies?: number }): Buffer {
  const rx = {
    freq: opts.freq,
    stat: 1,
    modu: 'LORA',
    datr: 'SF9BW125',
    rssi: -80,
    lsnr: 3,
    data: Buffer.from(phy).toString('base64'),
  };
  return encodePushData(1, FUZZ_EUI, { rxpk: Array.from({ length: opts.copies ?? 1 }, () => rx) });
}
