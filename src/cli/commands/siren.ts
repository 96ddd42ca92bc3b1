import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { UsageError } from '../../domain/index.js';
import type { SirenTestResult } from '../../sirens/controller.js';
import { formatLocalTime } from '../../util/local-time.js';
import { cliTarget, type GlobalOpts } from '../context.js';
import { callGateway } from '../gateway-call.js';
import { action, json, out, t } from '../io.js';
import { siteTz } from '../time.js';
import { known, numberIn } from '../validate.js';

function who(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** One sentence per step, so a technician sees which part of the siren failed. */
export function testLines(r: SirenTestResult): string[] {
  const lines = r.steps.map((s) => {
    const step = t(`siren.step.${s.step}.${s.ok ? 'ok' : 'fail'}`, { seconds: r.seconds });
    return s.ok
      ? t('siren.pass', { id: r.siren, step })
      : t('siren.fail', { id: r.siren, step, fault: s.fault ?? '' });
  });
  lines.push(t(r.ok ? 'siren.works' : 'siren.faulty', { id: r.siren }));
  return lines;
}

export function registerSiren(program: Command): void {
  const siren = program.command('siren').description(t('siren.cmd'));
  const target = () => cliTarget(program.opts<GlobalOpts>(), false);

  siren
    .command('test <siren>')
    .description(t('siren.test.cmd'))
    .option('--seconds <s>', t('siren.test.opt.seconds'))
    .option('--json', t('opt.json'))
    .action(
      action(async (id: string, o: { seconds?: string; json?: boolean }) => {
        const seconds = o.seconds === undefined ? undefined : numberIn('--seconds', o.seconds, 1, 60);
        const g = target();
        known(g.config, 'siren', id);
        const wait = (seconds ?? g.config?.siren_policy.max_activation_s ?? 60) + 30;
        const r = await callGateway<SirenTestResult>(
          g.socket,
          'siren.test',
          { siren: id, ...(seconds ? { seconds } : {}) },
          wait * 1000,
        );
        if (o.json) json(r);
        else out(testLines(r).join('\n'));
        if (!r.ok) process.exitCode = 1;
      }),
    );
  siren
    .command('off <siren>')
    .description(t('siren.off.cmd'))
    .action(
      action(async (id: string) => {
        const g = target();
        await callGateway(g.socket, 'siren.off', { siren: known(g.config, 'siren', id) });
        out(t('siren.is_off', { id }));
      }),
    );
  siren
    .command('silence <zone> <minutes>')
    .description(t('siren.silence.cmd'))
    .option('--json', t('siren.silence.opt.json'))
    .action(
      action(async (zone: string, minutes: string, o: { json?: boolean }) => {
        const g = target();
        const max = g.config?.siren_policy.max_silence_min ?? 240;
        const m = Number(minutes);
        if (Number.isFinite(m) && m > max) {
          // The gateway would cut it to the maximum; a technician who typed 999 must know that.
          throw new UsageError(t('siren.silence_too_long', { max }));
        }
        const mins = numberIn('minutes', minutes, 1, max);
        known(g.config, 'zone', zone);
        const s = await callGateway<{ until: number }>(g.socket, 'siren.silence', {
          zone,
          minutes: mins,
          by: who(),
        });
        if (o.json) return json({ zone, minutes: mins, until: new Date(s.until).toISOString() });
        out(t('siren.silenced', { zone, until: formatLocalTime(s.until, siteTz(g.config)) }));
      }),
    );
  siren
    .command('unsilence <zone>')
    .description(t('siren.unsilence.cmd'))
    .action(
      action(async (zone: string) => {
        const g = target();
        const r = await callGateway<{ cleared: boolean }>(g.socket, 'siren.unsilence', {
          zone: known(g.config, 'zone', zone),
          by: who(),
        });
        out(t(r.cleared ? 'siren.unsilenced' : 'siren.was_not_silenced', { zone }));
      }),
    );
}
