import { isAbsolute, resolve } from 'node:path';
import type { UplinkConfig } from '../config/schema.js';
import { redactUrl } from '../config/secrets.js';
import { plaintextRemoteHost, plaintextWarning } from '../uplink/plaintext.js';
import { type CheckResult, fail, ok, type Probes, warn } from './types.js';

export const UPLINK_TIMEOUT_MS = 5000;

const DEFAULT_PORTS: Record<string, number> = {
  'mqtt:': 1883,
  'tcp:': 1883,
  'mqtts:': 8883,
  'ssl:': 8883,
  'ws:': 80,
  'wss:': 443,
};

export function uplinkTarget(url: string): { host: string; port: number } | undefined {
  try {
    const u = new URL(url);
    const port = u.port ? Number(u.port) : DEFAULT_PORTS[u.protocol];
    if (!u.hostname || port === undefined) return undefined;
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port };
  } catch {
    return undefined;
  }
}

/** TCP connect to the central broker (5 s), and its TLS files readable by this user. */
export async function checkUplink(
  uplink: UplinkConfig | undefined,
  baseDir: string,
  p: Probes,
): Promise<CheckResult[]> {
  if (!uplink) return [ok('uplink', 'none configured (local only)')];
  const results: CheckResult[] = [];
  const target = uplinkTarget(uplink.url);
  if (!target) {
    results.push(
      fail(
        'uplink',
        `cannot read host and port from ${redactUrl(uplink.url)}`,
        'uplink.url: mqtts://host:8883',
      ),
    );
  } else {
    const { host, port } = target;
    const res = await p.tcpConnect(host, port, UPLINK_TIMEOUT_MS);
    if (res.ok) results.push(ok('uplink', `${host}:${port} accepts TCP connections`));
    else {
      const dns = res.error === 'ENOTFOUND' || res.error === 'EAI_AGAIN';
      results.push(
        fail(
          'uplink',
          `cannot reach ${host}:${port} (${dns ? 'name does not resolve' : res.error}); readings wait in the outbox`,
          dns
            ? `check DNS and the modem: getent hosts ${host}; cat /etc/resolv.conf; ping -c3 8.8.8.8`
            : `check the link: ping -c3 ${host}; nc -vz -w5 ${host} ${port}; a firewall or APN may block port ${port}`,
        ),
      );
    }
  }
  const plainHost = plaintextRemoteHost(uplink.url);
  if (plainHost !== undefined) {
    results.push(
      warn(
        'uplink encryption',
        plaintextWarning(plainHost),
        `uplink.url: mqtts://${plainHost}:8883 and uplink.ca_file: /etc/siaga/ca.pem`,
      ),
    );
  }
  const files = (['ca_file', 'cert_file', 'key_file'] as const).flatMap((k) => {
    const v = uplink[k];
    return v === undefined ? [] : [{ key: `uplink.${k}`, path: isAbsolute(v) ? v : resolve(baseDir, v) }];
  });
  const user = p.user().name;
  for (const f of files) {
    if (!p.stat(f.path)) {
      results.push(
        fail('uplink tls', `${f.path} (${f.key}) does not exist`, `copy it there, or fix ${f.key}`),
      );
    } else if (!p.access(f.path, 'r')) {
      results.push(
        fail(
          'uplink tls',
          `${f.path} (${f.key}) is not readable by ${user}`,
          `sudo chown root:siaga ${f.path} && sudo chmod 640 ${f.path}`,
        ),
      );
    }
  }
  if (files.length > 0 && !results.some((r) => r.name === 'uplink tls')) {
    results.push(ok('uplink tls', `${files.map((f) => f.path).join(', ')} readable`));
  }
  return results;
}
