import { createHmac, timingSafeEqual } from 'node:crypto';

/** The signed part of a command (docs/wire.md §3, signed commands). */
export interface SignedFields {
  id: string;
  ts: number;
  nonce: string;
  cmd: string;
  /** Absent args are signed as `{}`. */
  args?: unknown;
}

/** `id\nts\nnonce\ncmd\n` + JSON.stringify(args) */
export function canonicalCommand(f: SignedFields): string {
  return `${f.id}\n${f.ts}\n${f.nonce}\n${f.cmd}\n` + JSON.stringify(f.args ?? {});
}

/** HMAC-SHA256 of the canonical string, lower-case hex (what the centre sends as `sig`). */
export function signCommand(secret: string, f: SignedFields): string {
  return createHmac('sha256', secret).update(canonicalCommand(f), 'utf8').digest('hex');
}

const SIG_HEX = /^[0-9a-fA-F]{64}$/;

/**
 * Verifies `sig` in constant time. A sig that is not 64 hex digits is refused before comparing
 * (its length is not a secret); otherwise the two 32-byte digests are compared with timingSafeEqual.
 */
export function verifyCommand(secret: string, f: SignedFields, sig: string): boolean {
  if (!SIG_HEX.test(sig)) return false;
  const expected = createHmac('sha256', secret).update(canonicalCommand(f), 'utf8').digest();
  const given = Buffer.from(sig, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
