/** The few cookie rules the village screen needs (no plugin for two cookies). */

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    // A value that is not valid percent-encoding is someone else's cookie, not ours: ignore it.
    try {
      if (name && !(name in out)) out[name] = decodeURIComponent(value);
    } catch {
      /* ignored */
    }
  }
  return out;
}

export interface CookieOptions {
  /** Seconds; 0 deletes the cookie. Absent: a browser-session cookie. */
  maxAge?: number;
  secure: boolean;
}

/**
 * HttpOnly so page scripts cannot read it, SameSite=Strict so no other site's page can make the
 * browser send it (the first line of defence against forged POSTs; the CSRF header is the second).
 */
export function serializeCookie(name: string, value: string, o: CookieOptions): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/', 'HttpOnly', 'SameSite=Strict'];
  if (o.maxAge !== undefined) parts.push(`Max-Age=${o.maxAge}`);
  if (o.secure) parts.push('Secure');
  return parts.join('; ');
}
