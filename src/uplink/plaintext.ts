import { isIP } from 'node:net';

const PLAIN_SCHEMES = new Set(['mqtt:', 'tcp:', 'ws:']);

/**
 * The host an uplink URL talks to without TLS, when that host is not this machine; undefined for
 * mqtts/wss and for loopback (a local bridge or an SSH tunnel). Over a plain link to a remote
 * centre the password and every command travel readable by anyone on the path (the mobile
 * operator's network included), so `config check` and `doctor` warn about it.
 */
export function plaintextRemoteHost(url: string | readonly string[]): string | undefined {
  // A failover list is as exposed as its weakest URL.
  if (typeof url !== 'string') return url.map((x) => plaintextRemoteHost(x)).find((h) => h !== undefined);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (!PLAIN_SCHEMES.has(u.protocol)) return undefined;
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === '' || isLoopback(host)) return undefined;
  return host;
}

/** The warning itself, the same words in `config check` and `doctor`. */
export function plaintextWarning(host: string): string {
  return `uplink to ${host} is not encrypted (mqtt://): the password and signed commands cross the network readable; use mqtts:// with ca_file`;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}
