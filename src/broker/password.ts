import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * scrypt password hashes for local broker users, in the form printed by `siaga passwd`:
 * `scrypt$<N>$<r>$<p>$<salt base64>$<key base64>`.
 */

export const SCRYPT_PARAMS = { N: 16_384, r: 8, p: 1, saltBytes: 16, keyBytes: 32 } as const;

// Bounds a stored hash may claim; anything outside is treated as malformed (never as a reason to
// burn gigabytes of memory or minutes of CPU on a hostile config or a typo).
const MAX_LOG2_N = 20;
const MAX_R = 32;
const MAX_P = 16;

function scryptAsync(
  password: string | Buffer,
  salt: Buffer,
  keylen: number,
  opts: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function maxmem(N: number, r: number, p: number): number {
  // Node refuses when 128·N·r (+ 128·r·p) exceeds maxmem (32 MiB default); give exactly what is needed.
  return 128 * N * r + 128 * r * p + 1024 * 1024;
}

/** Hashes `password` with a fresh 16-byte salt (N=16384, r=8, p=1, 32-byte key). */
export async function hashPassword(password: string | Buffer): Promise<string> {
  const { N, r, p, saltBytes, keyBytes } = SCRYPT_PARAMS;
  const salt = randomBytes(saltBytes);
  const key = await scryptAsync(password, salt, keyBytes, { N, r, p, maxmem: maxmem(N, r, p) });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;
const INT = /^[1-9][0-9]{0,9}$/;

function parseHash(hash: string): ParsedHash | undefined {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [, n, r, p, salt, key] = parts as [string, string, string, string, string, string];
  if (!INT.test(n) || !INT.test(r) || !INT.test(p) || !B64.test(salt) || !B64.test(key)) return undefined;
  const parsed = {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    salt: Buffer.from(salt, 'base64'),
    key: Buffer.from(key, 'base64'),
  };
  const powerOfTwo = parsed.N > 1 && (parsed.N & (parsed.N - 1)) === 0;
  if (!powerOfTwo || parsed.N > 2 ** MAX_LOG2_N) return undefined;
  if (parsed.r > MAX_R || parsed.p > MAX_P) return undefined;
  if (parsed.salt.length < 8 || parsed.key.length < 16 || parsed.key.length > 64) return undefined;
  return parsed;
}

/**
 * True when `password` matches `hash`. Compares in constant time; a malformed hash gives false
 * (never throws), so a bad config line locks its user out instead of crashing the broker.
 */
export async function verifyPassword(password: string | Buffer, hash: string): Promise<boolean> {
  const parsed = parseHash(hash);
  if (!parsed) return false;
  const { N, r, p, salt, key } = parsed;
  try {
    const candidate = await scryptAsync(password, salt, key.length, { N, r, p, maxmem: maxmem(N, r, p) });
    return timingSafeEqual(candidate, key);
  } catch {
    return false;
  }
}

/** True when `hash` has the shape `verifyPassword` accepts (for config checks and `siaga doctor`). */
export function isWellFormedHash(hash: string): boolean {
  return parseHash(hash) !== undefined;
}
