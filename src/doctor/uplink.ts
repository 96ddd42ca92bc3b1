import { isAbsolute, resolve } from 'node:path';
import type { UplinkConfig } from '../config/schema.js';
import { redactUrl } from '../config/secrets.js';
import { EN, type Translate } from '../i18n/index.js';
import { uplinkUrls } from '../uplink/client-options.js';
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
  tr: Translate = EN,
): Promise<CheckResult[]> {
  if (!uplink) return [ok('uplink', tr('doctor.uplink.none'))];
  const results: CheckResult[] = [];
  // Every URL of a failover list is probed: a dead fallback is found before the day it is needed.
  for (const url of uplinkUrls(uplink)) {
    const target = uplinkTarget(url);
    if (!target) {
      results.push(
        fail('uplink', tr('doctor.uplink.bad_url', { url: redactUrl(url) }), 'uplink.url: mqtts://host:8883'),
      );
    } else {
      const { host, port } = target;
      const res = await p.tcpConnect(host, port, UPLINK_TIMEOUT_MS);
      if (res.ok) results.push(ok('uplink', tr('doctor.uplink.ok', { host, port })));
      else {
        const dns = res.error === 'ENOTFOUND' || res.error === 'EAI_AGAIN';
        results.push(
          fail(
            'uplink',
            tr('doctor.uplink.unreachable', {
              host,
              port,
              why: dns ? tr('doctor.uplink.no_dns') : res.error,
            }),
            tr(dns ? 'doctor.uplink.dns_fix' : 'doctor.uplink.link_fix', { host, port }),
          ),
        );
      }
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
        fail(
          'uplink tls',
          tr('doctor.uplink.tls_missing', { path: f.path, key: f.key }),
          tr('doctor.uplink.tls_missing_fix', { key: f.key }),
        ),
      );
    } else if (!p.access(f.path, 'r')) {
      results.push(
        fail(
          'uplink tls',
          tr('doctor.uplink.tls_unreadable', { path: f.path, key: f.key, user }),
          `sudo chown root:siaga ${f.path} && sudo chmod 640 ${f.path}`,
        ),
      );
    }
  }
  if (files.length > 0 && !results.some((r) => r.name === 'uplink tls')) {
    results.push(
      ok('uplink tls', tr('doctor.uplink.tls_ok', { paths: files.map((f) => f.path).join(', ') })),
    );
  }
  return results;
}
