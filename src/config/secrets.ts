import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { maskPhone } from '../alerts/sms-phone.js';
import type { ConfigIssue } from '../domain/index.js';

/** Keys whose value is a secret: given inline, or better as `<key>_file` read at start. */
export const SECRET_KEYS = [
  'password',
  'secret',
  'nwk_s_key',
  'app_s_key',
  'app_key',
  'password_hash',
  'token',
] as const;
const FILE_BACKED = new Set(['password', 'secret', 'nwk_s_key', 'app_s_key', 'app_key', 'token']);
const REDACTED = '[redacted]';

/**
 * Replaces every `<secret>_file` in the raw YAML tree by the file's trimmed content under
 * `<secret>` (keeping the `_file` key for display). Paths are relative to the config file.
 * Problems become issues with the `_file` key's path; the secret itself is never in a message.
 */
export function resolveSecretFiles(raw: unknown, baseDir: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const walk = (node: unknown, path: string) => {
    if (Array.isArray(node)) {
      for (const [i, child] of node.entries()) walk(child, `${path}[${i}]`);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const obj = node as Record<string, unknown>;
    for (const [key, value] of Object.entries(obj)) {
      const here = path ? `${path}.${key}` : key;
      const base = key.endsWith('_file') ? key.slice(0, -5) : undefined;
      if (base !== undefined && FILE_BACKED.has(base)) {
        if (typeof value !== 'string' || value === '') {
          issues.push({ path: here, message: 'must be a file path' });
          continue;
        }
        if (obj[base] !== undefined) {
          issues.push({ path: here, message: `give either ${base} or ${key}, not both` });
          continue;
        }
        const file = isAbsolute(value) ? value : resolve(baseDir, value);
        try {
          obj[base] = readFileSync(file, 'utf8').trim();
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code ?? 'error';
          issues.push({
            path: here,
            message: `cannot read ${file} (${code}); check the path and that user siaga may read it`,
          });
        }
      } else {
        walk(value, here);
      }
    }
  };
  walk(raw, '');
  return issues;
}

/** `scheme://user:password@` at the start of a URL: the part a URL may carry a secret in. */
const URL_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#\s]*)@/i;

/**
 * The URL with the password of its user info replaced (`mqtt://gw:[redacted]@host`). MQTT.js takes
 * credentials from the URL, so a technician may put them there; it must never reach a log line,
 * `status` or `config.get`. Any other string is returned as it is.
 */
export function redactUrl(url: string | readonly string[]): string {
  // A failover list (`uplink.url: [a, b]`) reads as one line, each URL redacted.
  if (typeof url !== 'string') return url.map((u) => redactUrl(u)).join(', ');
  return url.replace(URL_USERINFO, (_all, scheme: string, info: string) => {
    const colon = info.indexOf(':');
    return colon < 0 ? `${scheme}${info}@` : `${scheme}${info.slice(0, colon)}:${REDACTED}@`;
  });
}

/** The password in a URL's user info, raw and percent-decoded; [] when there is none. */
function urlPasswords(url: string): string[] {
  const info = URL_USERINFO.exec(url)?.[2];
  const colon = info?.indexOf(':') ?? -1;
  if (info === undefined || colon < 0 || colon === info.length - 1) return [];
  const raw = info.slice(colon + 1);
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // not valid percent-encoding: the raw form is what would leak
  }
  return decoded === raw ? [raw] : [raw, decoded];
}

/** A deep copy with every secret value replaced, for `config.get`, status and logs. */
export function redact<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => redact(v)) as T;
  if (typeof value === 'string') return redactUrl(value) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if ((SECRET_KEYS as readonly string[]).includes(k) && v !== undefined) out[k] = REDACTED;
    // Contacts' phone numbers are personal data: a technician recognises one by its ends.
    else if (k === 'phone' && typeof v === 'string') out[k] = maskPhone(v);
    else out[k] = redact(v);
  }
  return out as T;
}

/** Every secret string in a config, so tests and log redaction can look for leaks. */
export function secretValues(value: unknown): string[] {
  const found: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if ((SECRET_KEYS as readonly string[]).includes(k) && typeof x === 'string' && x.length > 0)
          found.push(x);
        else walk(x);
      }
    } else if (typeof v === 'string') found.push(...urlPasswords(v));
  };
  walk(value);
  return found;
}
