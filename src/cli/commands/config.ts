import type { Command } from 'commander';
import type { Config } from '../../config/schema.js';
import { redactUrl } from '../../config/secrets.js';
import { plaintextRemoteHost, plaintextWarning } from '../../uplink/plaintext.js';
import { cliConfig, type GlobalOpts } from '../context.js';
import { action, json, out, t } from '../io.js';

export function summary(config: Config, file: string): string {
  const lines = [
    `config ${file}: OK`,
    `gateway ${config.gateway.id} at ${config.gateway.site.name} (${config.gateway.site.village_code}, ${config.gateway.site.park})`,
    `storage ${config.storage.path} (keep ${config.storage.retention_days} d, cap ${config.storage.max_db_mb} MB)`,
  ];
  for (const z of config.zones) {
    const nodes = config.nodes.filter((n) => n.zone === z.id);
    const byType = new Map<string, number>();
    for (const n of nodes) byType.set(n.type, (byType.get(n.type) ?? 0) + 1);
    const types = [...byType].map(([t, c]) => `${c} ${t}`).join(', ') || 'no nodes';
    lines.push(
      `zone ${z.id} (${z.name}): ${nodes.length} nodes (${types}); sirens: ${z.sirens.join(', ') || 'none'}`,
    );
  }
  for (const s of config.sirens) lines.push(`siren ${s.id}: ${s.driver}`);
  lines.push(`serial: ${config.serial.map((s) => `${s.port} @${s.baud}`).join(', ') || 'none'}`);
  lines.push(
    `lora: ${config.lora ? `GWMP ${config.lora.gwmp.host}:${config.lora.gwmp.port}, ${config.lora.devices.length} ABP devices` : 'off'}`,
  );
  lines.push(
    `local broker: ${config.local_broker.enabled ? `${config.local_broker.host}:${config.local_broker.port}, ${config.local_broker.users.length} users` : 'off'}`,
  );
  lines.push(
    `uplink: ${config.uplink ? `${redactUrl(config.uplink.url)}, compress ${config.uplink.compress}` : 'none (local only)'}`,
  );
  lines.push(`sirens sound at ${config.siren_policy.sound_at}; command keys: ${config.commands.keys.length}`);
  for (const w of configWarnings(config)) lines.push(`WARNING: ${w}`);
  return lines.join('\n');
}

/** What is valid but unsafe: the config is accepted (exit 0), the technician is told why and how to fix it. */
export function configWarnings(config: Config): string[] {
  const host = config.uplink ? plaintextRemoteHost(config.uplink.url) : undefined;
  return host === undefined ? [] : [plaintextWarning(host)];
}

export function registerConfig(program: Command): void {
  const cmd = program.command('config').description(t('config.cmd'));
  cmd
    .command('check')
    .description(t('config.check.cmd'))
    .option('--json', t('config.check.opt.json'))
    .action(
      action(async (o: { json?: boolean }) => {
        const { config, file } = cliConfig(program.opts<GlobalOpts>());
        if (o.json) {
          const { redact } = await import('../../config/secrets.js');
          json(redact(config));
          for (const w of configWarnings(config)) process.stderr.write(`siaga: WARNING: ${w}\n`);
        } else out(summary(config, file));
      }),
    );
}
