import { dirname } from 'node:path';
import type { Config } from '../config/schema.js';
import { redactUrl } from '../config/secrets.js';
import { socketPathFor } from '../control/protocol.js';
import type { ConfigError } from '../domain/index.js';
import { CATALOGUES, EN, type MessageId, type Translate } from '../i18n/index.js';
import { checkListenPort } from './ports.js';
import { checkSecretPermissions, secretFiles } from './secrets.js';
import { checkSerialPort } from './serial.js';
import { checkSmsSpool } from './sms.js';
import { checkDatabase, checkDisk, checkStorageDir } from './storage.js';
import { checkClock, checkCommandSiren, checkGateway, checkGpioSirens } from './system.js';
import { type CheckResult, fail, type Level, ok, type Probes } from './types.js';
import { checkUplink } from './uplink.js';

export interface DoctorReport {
  config: string;
  user: string;
  /** True when no check FAILed. */
  ok: boolean;
  counts: Record<Level, number>;
  checks: CheckResult[];
}

export function configSummary(config: Config, tr: Translate = EN): string {
  const off = tr('config.summary.off');
  return tr('doctor.config.summary', {
    id: config.gateway.id,
    site: config.gateway.site.name,
    nodes: config.nodes.length,
    zones: config.zones.length,
    sirens: config.sirens.map((s) => `${s.id} (${s.driver})`).join(', ') || tr('doctor.config.no_sirens'),
    serial: config.serial.length,
    lora: config.lora ? `udp ${config.lora.gwmp.port}` : off,
    broker: config.local_broker.enabled ? `tcp ${config.local_broker.port}` : off,
    uplink: config.uplink ? redactUrl(config.uplink.url) : tr('config.summary.none'),
  });
}

/** Runs every check for a valid config, in the order a technician fixes things. */
export async function runDoctor(
  loaded: { config: Config; file: string },
  p: Probes,
  tr: Translate = EN,
): Promise<DoctorReport> {
  const { config, file } = loaded;
  const baseDir = dirname(file);
  const socketPath = socketPathFor(config.storage.path, config.control.socket);
  const gw = await p.gatewayStatus(socketPath);
  const checks: CheckResult[] = [
    ok('config', tr('doctor.config.valid', { file, summary: configSummary(config, tr) })),
  ];

  config.serial.forEach((s, i) => {
    checks.push(checkSerialPort(`serial[${i}]`, s.port, `serial[${i}].port`, p, tr));
  });
  const relayPorts = new Set<string>();
  config.sirens.forEach((s, i) => {
    // Several relay sirens may share one board: check each port once.
    if (s.driver !== 'relay' || relayPorts.has(s.port)) return;
    relayPorts.add(s.port);
    checks.push(checkSerialPort(`siren ${s.id}`, s.port, `sirens[${i}].port`, p, tr));
  });

  if (config.lora) {
    checks.push(
      await checkListenPort(
        {
          name: 'lora udp',
          proto: 'udp',
          host: config.lora.gwmp.host,
          port: config.lora.gwmp.port,
          ours: gw.running ? gw.loraPort : undefined,
          gatewayRunning: gw.running,
          key: 'lora.gwmp.port',
          usual: tr('doctor.port.usual_lora'),
        },
        p,
        tr,
      ),
    );
  }
  if (config.local_broker.enabled) {
    checks.push(
      await checkListenPort(
        {
          name: 'local broker',
          proto: 'tcp',
          host: config.local_broker.host,
          port: config.local_broker.port,
          ours: gw.running ? gw.brokerPort : undefined,
          gatewayRunning: gw.running,
          key: 'local_broker.port',
          usual: tr('doctor.port.usual_broker'),
        },
        p,
        tr,
      ),
    );
  }

  checks.push(checkStorageDir(config.storage.path, p, tr));
  checks.push(checkDisk(config.storage.path, p, tr));
  checks.push(checkDatabase(config.storage.path, p, tr));
  checks.push(await checkClock(config.gateway.min_valid_time, p, tr));
  checks.push(...(await checkUplink(config.uplink, baseDir, p, tr)));
  checks.push(
    ...checkSecretPermissions([{ key: 'config file', path: file }, ...secretFiles(config, baseDir)], p, tr),
  );

  const gpio = config.sirens.flatMap((siren, index) => (siren.driver === 'gpio' ? [{ siren, index }] : []));
  checks.push(...checkGpioSirens(gpio, p, tr));
  checks.push(...(await checkSmsSpool(config, p, tr)));
  config.sirens.forEach((s, i) => {
    if (s.driver === 'command') checks.push(checkCommandSiren(s, i, p, tr));
  });
  checks.push(checkGateway(gw, socketPath, tr));

  return report(file, p.user().name, checks);
}

/** The report for a config that does not load: one FAIL listing every problem (exit 78). */
export function configFailureReport(
  error: ConfigError,
  file: string,
  user: string,
  tr: Translate = EN,
): DoctorReport {
  return report(file, user, [
    fail(
      'config',
      tr('doctor.config.invalid', { file, problems: error.message }),
      tr(
        error.issues.some((i) => i.message.includes('not found'))
          ? 'doctor.config.fix_missing'
          : 'doctor.config.fix_edit',
        { file },
      ),
    ),
  ]);
}

function report(file: string, user: string, checks: CheckResult[]): DoctorReport {
  const counts: Record<Level, number> = { OK: 0, WARN: 0, FAIL: 0 };
  for (const c of checks) counts[c.level]++;
  return { config: file, user, ok: counts.FAIL === 0, counts, checks };
}

/** A check's fixed name in the reader's language; names carrying an id (`siren s-1`, `serial[0]`) stay. */
function checkName(name: string, tr: Translate): string {
  const key = `doctor.name.${name.replaceAll(' ', '_')}`;
  return Object.hasOwn(CATALOGUES.en, key) ? tr(key as MessageId) : name;
}

/** For people: one line per check, the fix indented under each problem, a count at the end. */
export function formatReport(r: DoctorReport, tr: Translate = EN): string {
  // Narrow enough for a phone's SSH window: names padded to 12, continuation lines indented 6.
  const lines = [tr('doctor.header', { config: r.config, user: r.user })];
  if (r.user !== 'siaga' && r.user !== 'root') lines.push(tr('doctor.not_gateway_user'));
  for (const c of r.checks) {
    const [first, ...rest] = c.detail.split('\n');
    lines.push(`${c.level.padEnd(4)}  ${checkName(c.name, tr).padEnd(12)}  ${first ?? ''}`);
    for (const l of rest) lines.push(`      ${l}`);
    if (c.fix) lines.push(`      ${tr('doctor.fix', { fix: c.fix })}`);
  }
  lines.push(tr('doctor.counts', { ok: r.counts.OK, warn: r.counts.WARN, fail: r.counts.FAIL }));
  return lines.join('\n');
}
