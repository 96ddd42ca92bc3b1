import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { encodeTime } from 'ulid';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const HALF = 2 ** 40;

/** Crockford base32 of every 10-bit value, two characters each: an id's counter is 4 lookups (P1). */
const PAIRS = Array.from({ length: 1024 }, (_, v) => CROCKFORD.charAt(v >> 5) + CROCKFORD.charAt(v & 31));
const TWO20 = 2 ** 20;

/** `n` (0 ≤ n < 2^40) as 8 Crockford base32 characters, most significant first. */
export function encode40(n: number): string {
  const high = Math.floor(n / TWO20);
  const low = n - high * TWO20;
  return (
    (PAIRS[high >> 10] as string) +
    (PAIRS[high & 1023] as string) +
    (PAIRS[low >> 10] as string) +
    (PAIRS[low & 1023] as string)
  );
}

/**
 * `n` random bytes from the kernel's generator, as `crypto.randomBytes` reads them, without loading
 * node:crypto: a gateway that needs nothing else from it keeps ~0.6 MB less resident for its life
 * (bench/README.md, "Memory round 11"). Where the device cannot give them, node:crypto after all.
 */
export function randomSeed(n: number, device = '/dev/urandom'): Buffer {
  const bytes = Buffer.alloc(n);
  let got = 0;
  try {
    const fd = openSync(device, 'r');
    try {
      while (got < n) {
        const r = readSync(fd, bytes, got, n - got, null);
        if (r <= 0) break;
        got += r;
      }
    } finally {
      closeSync(fd);
    }
  } catch {
    got = 0;
  }
  if (got === n) return bytes;
  const crypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return crypto.randomFillSync(bytes);
}

function random40(bytes: Buffer, at: number): number {
  // 5 bytes → 40 bits, as a safe integer.
  return bytes.readUIntBE(at, 5);
}

/** Every id `idFactory` makes is a ULID: this many characters (Crockford base32). */
export const ID_LENGTH = 26;

/**
 * ULIDs for readings and events: 48-bit millisecond time, then an 80-bit part that starts random
 * at process start and counts up by one per id, across milliseconds too (the ULID spec's monotonic
 * rule, kept going). Ids stay unique per gateway, sortable, and unguessable from outside; and since
 * consecutive ids share most of their 16 trailing characters, a batch of 200 readings deflates
 * ~10 B per reading smaller than with fresh randomness each time (P5, bytes over a cellular link).
 */
export function idFactory(seed: Buffer = randomSeed(10)): (ts: number) => string {
  let hi = random40(seed, 0) % (HALF / 2); // headroom: the high half never overflows in practice
  let lo = random40(seed, 5);
  let lastTs = 0;
  // The time and high parts change rarely (each ms, each 2^40 ids): their text is kept, so a
  // reading's id costs one 8-character encoding instead of three (P1).
  let timeText = encodeTime(0, 10);
  let hiText = encode40(hi);
  return (ts: number) => {
    lo++;
    if (lo >= HALF) {
      lo = 0;
      hi++;
      hiText = encode40(hi);
    }
    // A clock that steps back (NTP after a power cut) must not make ids go backwards.
    const t = Math.max(0, Math.floor(ts), lastTs);
    if (t !== lastTs) timeText = encodeTime(t, 10);
    lastTs = t;
    return timeText + hiText + encode40(lo);
  };
}
