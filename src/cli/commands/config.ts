import type { Command } from 'commander';
import type { Config } from '../../config/schema.js';
import { redactUrl } from '../../config/secrets.js';
import { plaintextRemoteHost, plaintextWarning } from '../../uplink/plaintext.js';
import { cliConfig, type GlobalOpts } from '../context.js';
import { action, json, out, t } from '../io.js';
import { neighbourSummary } from '../neighbours-status.js';

export function summary(config: Config, file: string): string {
  const site = config.gateway.site;
  const none = t('config.summary.none');
  const off = t('config.summary.off');
  const lines = [
    t('config.summary.ok', { file }),
    t('config.summary.gateway', {
      id: config.gateway.id,
      site: site.name,
      code: site.village_code,
      park: site.park,
    }),
    t('config.summary.storage', {
      path: config.storage.path,
      days: config.storage.retention_days,
      mb: config.storage.max_db_mb,
    }),
  ];
  for (const z of config.zones) {
    const nodes = config.nodes.filter((n) => n.zone === z.id);
    const byType = new Map<string, number>();
    for (const n of nodes) byType.set(n.type, (byType.get(n.type) ?? 0) + 1);
    const types = [...byType].map(([type, c]) => `${c} ${type}`).join(', ') || t('config.summary.no_nodes');
    lines.push(
      t('config.summary.zone', {
        id: z.id,
        name: z.name,
        n: nodes.length,
        types,
        sirens: z.sirens.join(', ') || none,
      }),
    );
  }
  for (const s of config.sirens) lines.push(t('config.summary.siren', { id: s.id, driver: s.driver }));
  lines.push(
    t('config.summary.serial', {
      ports: config.serial.map((s) => `${s.port} @${s.baud}`).join(', ') || none,
    }),
  );
  const { lora, local_broker: broker, uplink } = config;
  lines.push(
    t('config.summary.lora', {
      lora: lora
        ? t('config.summary.lora_on', { host: lora.gwmp.host, port: lora.gwmp.port, n: lora.devices.length })
        : off,
    }),
  );
  lines.push(
    t('config.summary.broker', {
      broker: broker.enabled
        ? t('config.summary.broker_on', { host: broker.host, port: broker.port, n: broker.users.length })
        : off,
    }),
  );
  lines.push(
    t('config.summary.uplink', {
      uplink: uplink
        ? t('config.summary.uplink_on', { url: redactUrl(uplink.url), compress: uplink.compress })
        : t('config.summary.uplink_none'),
    }),
  );
  for (const n of config.neighbours) lines.push(neighbourSummary(n, uplink !== undefined));
  lines.push(
    t('config.summary.policy', { level: config.siren_policy.sound_at, keys: config.commands.keys.length }),
  );
  for (const w of configWarnings(config)) lines.push(t('config.summary.warning', { warning: w }));
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
          for (const w of configWarnings(config))
            process.stderr.write(`siaga: ${t('config.summary.warning', { warning: w })}\n`);
        } else out(summary(config, file));
      }),
    );
}
