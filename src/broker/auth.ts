import type { AuthenticateError } from 'aedes';

/** Failed logins of one user from one address are counted over this window… */
export const AUTH_WINDOW_MS = 60_000;
/** …and after `auth_fail_limit` of them that user is refused at that address for this long. */
export const AUTH_BLOCK_MS = 5 * 60_000;

// Same cost as a real verification, so an unknown username takes as long as a wrong password.
export const DUMMY_HASH = `scrypt$16384$8$1$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`;

/** The error aedes turns into a CONNACK with `returnCode` (2 id rejected, 4 bad credentials, 5 not authorized). */
export function authError(returnCode: 2 | 4 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}
