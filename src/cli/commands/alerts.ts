import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { IncidentView } from '../../alerts/view.js';
import { formatLocalTime } from '../../util/local-time.js';
import { cliTarget, type GlobalOpts } from '../context.js';
import { callGateway } from '../gateway-call.js';
import { action, json, out, t } from '../io.js';
import { table } from '../table.js';
import { siteTz } from '../time.js';

/** Who acknowledged from this shell, when `--by` does not say. */
function who(): string {
  try {
    return userInfo().username;
  } catch {
    return 'cli';
  }
}

/** One block per incident: the incident, then who was told how, then who acknowledged. */
export function incidentLines(i: IncidentView, tz: string): string[] {
  const at = (iso: string) => formatLocalTime(Date.parse(iso), tz);
  const head = t('alerts.incident', {
    code: i.code,
    zone: i.zone,
    name: i.zone_name,
    level: i.level,
    state: t(`alerts.state.${i.state}`),
    since: at(i.opened),
    step: i.step ? `${i.step.step + 1}/${i.step.round + 1}` : '-',
  });
  const rows = i.notifications.map((n) => [n.channel, n.contact, n.kind ?? '', n.state, at(n.at)]);
  const lines = [head];
  if (rows.length > 0) lines.push(table(['channel', 'to', 'kind', 'state', 'at'], rows).replace(/^/gm, '  '));
  for (const a of i.acks)
    lines.push(`  ${t('alerts.acked_by', { by: a.by, channel: a.channel, at: at(a.at) })}`);
  return lines;
}

export function registerAlerts(program: Command): void {
  const alerts = program
    .command('alerts')
    .description(t('alerts.cmd'))
    .option('--json', t('opt.json'))
    .action(
      action(async (o: { json?: boolean }) => {
        const g = cliTarget(program.opts<GlobalOpts>(), false);
        const r = await callGateway<{ incidents: IncidentView[] }>(g.socket, 'alerts.list');
        if (o.json) return json(r);
        if (r.incidents.length === 0) return out(t('alerts.none'));
        const tz = siteTz(g.config);
        out(r.incidents.flatMap((i) => [...incidentLines(i, tz), '']).join('\n'));
      }),
    );
  // `siaga alerts test x --json`: commander gives the flag to `alerts`, which has one of its own.
  const wantsJson = () => alerts.opts<{ json?: boolean }>().json === true;
  alerts
    .command('ack <code>')
    .description(t('alerts.ack.cmd'))
    .option('--by <name>', t('alerts.ack.opt.by'))
    .option('--json', t('opt.json'))
    .action(
      action(async (code: string, o: { by?: string; json?: boolean }) => {
        const g = cliTarget(program.opts<GlobalOpts>(), false);
        const i = await callGateway<IncidentView>(g.socket, 'alerts.ack', { code, by: o.by ?? who() });
        if (o.json || wantsJson()) return json(i);
        out(t('alerts.acked', { code: i.code, zone: i.zone_name, by: o.by ?? who() }));
      }),
    );
  alerts
    .command('test <contact>')
    .description(t('alerts.test.cmd'))
    .option('--json', t('opt.json'))
    .action(
      action(async (contact: string, o: { json?: boolean }) => {
        const g = cliTarget(program.opts<GlobalOpts>(), false);
        const r = await callGateway<{ contact: string; sms: string; cap: string }>(g.socket, 'alerts.test', {
          contact,
        });
        if (o.json || wantsJson()) return json(r);
        out(t('alerts.tested', r));
      }),
    );
  alerts
    .command('inbox <files...>')
    .description(t('alerts.inbox.cmd'))
    .action(
      action(async (files: string[]) => {
        const g = cliTarget(program.opts<GlobalOpts>(), false);
        for (const file of files) {
          const r = await callGateway<{ result: string }>(g.socket, 'alerts.inbox', { file });
          out(`${file}: ${r.result}`);
        }
      }),
    );
}
