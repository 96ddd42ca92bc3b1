/**
 * Why a connection to the central broker failed, as one short stable word a technician can grep
 * the journal for: a socket code (`ECONNREFUSED`, `ENOTFOUND`, `ETIMEDOUT`…), `tls:<code>` for a
 * certificate problem, `auth_refused` for a CONNACK that refuses our credentials, `connack:<rc>`
 * for any other refusal, `connack_timeout` when the broker never answered. Pure.
 */
export function failureCause(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown';
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number') {
    // MQTT 3.1.1: 4 bad user name or password, 5 not authorized; MQTT 5: 0x86, 0x87, 0x8C (bad auth method).
    return AUTH_CODES.has(code) ? 'auth_refused' : `connack:${code}`;
  }
  if (typeof code === 'string' && code !== '') {
    if (code.startsWith('E')) return code;
    return `tls:${code}`;
  }
  if (/connack timeout/i.test(err.message)) return 'connack_timeout';
  return 'error';
}

const AUTH_CODES = new Set([4, 5, 0x86, 0x87, 0x8c]);
