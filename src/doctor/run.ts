import { dirname } from 'node:path';
import type { Config } from '../config/schema.js';
import { redactUrl } from '../config/secrets.js';
import { socketPathFor } from '../control/protocol.js';
import type { ConfigError } from '../domain/index.js';
import { checkListenPort } from './ports.js';
import { checkSecretPermissions, secretFiles } from './secrets.js';
import { checkSerialPort } from './serial.js';
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

export function configSummary(config: Config): string {
  const sirens = config.sirens.map((s) => `${s.id} (${s.driver})`).join(', ') || 'no sirens';
  return (
    `gateway ${config.gateway.id} at ${config.gateway.site.name}: ${config.nodes.length} nodes in ` +
    `${config.zones.length} zone(s); ${sirens}; serial ${config.serial.length}; ` +
    `lora ${config.lora ? `udp ${config.lora.gwmp.port}` : 'off'}; ` +
    `local broker ${config.local_broker.enabled ? `tcp ${config.local_broker.port}` : 'off'}; ` +
    `uplink ${config.uplink ? redactUrl(config.uplink.url) : 'none'}`
  );
}

/** Runs every check for a valid config, in the order a technician fixes things. */
export async function runDoctor(loaded: { config: Config; file: string }, p: Probes): Promise<DoctorReport> {
  const { config, file } = loaded;
  const baseDir = dirname(file);
  const socketPath = socketPathFor(config.storage.path, config.control.socket);
  const gw = await p.gatewayStatus(socketPath);
  const checks: CheckResult[] = [ok('config', `${file}: valid; ${configSummary(config)}`)];

  config.serial.forEach((s, i) => {
    checks.push(checkSerialPort(`serial[${i}]`, s.port, `serial[${i}].port`, p));
  });
  const relayPorts = new Set<string>();
  config.sirens.forEach((s, i) => {
    // Several relay sirens may share one board: check each port once.
    if (s.driver !== 'relay' || relayPorts.has(s.port)) return;
    relayPorts.add(s.port);
    checks.push(checkSerialPort(`siren ${s.id}`, s.port, `sirens[${i}].port`, p));
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
          usual: 'often a ChirpStack gateway bridge or a second siaga',
        },
        p,
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
          usual: 'often mosquitto: sudo systemctl disable --now mosquitto',
        },
        p,
      ),
    );
  }

  checks.push(checkStorageDir(config.storage.path, p));
  checks.push(checkDisk(config.storage.path, p));
  checks.push(checkDatabase(config.storage.path, p));
  checks.push(await checkClock(config.gateway.min_valid_time, p));
  checks.push(...(await checkUplink(config.uplink, baseDir, p)));
  checks.push(
    ...checkSecretPermissions([{ key: 'config file', path: file }, ...secretFiles(config, baseDir)], p),
  );

  const gpio = config.sirens.flatMap((siren, index) => (siren.driver === 'gpio' ? [{ siren, index }] : []));
  checks.push(...checkGpioSirens(gpio, p));
  config.sirens.forEach((s, i) => {
    if (s.driver === 'command') checks.push(checkCommandSiren(s, i, p));
  });
  checks.push(checkGateway(gw, socketPath));

  return report(file, p.user().name, checks);
}

/** The report for a config that does not load: one FAIL listing every problem (exit 78). */
export function configFailureReport(error: ConfigError, file: string, user: string): DoctorReport {
  return report(file, user, [
    fail(
      'config',
      `${file} is invalid:\n${error.message}`,
      error.issues.some((i) => i.message.includes('not found'))
        ? `pass -c <file>, or start from the example: sudo install -m 0640 -o root -g siaga /opt/siaga/config/siaga.example.yaml ${file}`
        : `edit ${file}, then run: siaga config check`,
    ),
  ]);
}

function report(file: string, user: string, checks: CheckResult[]): DoctorReport {
  const counts: Record<Level, number> = { OK: 0, WARN: 0, FAIL: 0 };
  for (const c of checks) counts[c.level]++;
  return { config: file, user, ok: counts.FAIL === 0, counts, checks };
}

/** For people: one line per check, the fix indented under each problem, a count at the end. */
export function formatReport(r: DoctorReport): string {
  // Narrow enough for a phone's SSH window: names padded to 12, continuation lines indented 6.
  const lines = [`siaga doctor: ${r.config}, checked as user ${r.user}`];
  if (r.user !== 'siaga' && r.user !== 'root') {
    lines.push('(the gateway runs as siaga; for its exact permissions run: sudo -u siaga siaga doctor)');
  }
  for (const c of r.checks) {
    const [first, ...rest] = c.detail.split('\n');
    lines.push(`${c.level.padEnd(4)}  ${c.name.padEnd(12)}  ${first ?? ''}`);
    for (const l of rest) lines.push(`      ${l}`);
    if (c.fix) lines.push(`      fix: ${c.fix}`);
  }
  lines.push(`${r.counts.OK} OK, ${r.counts.WARN} WARN, ${r.counts.FAIL} FAIL`);
  return lines.join('\n');
}
