import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { call } from '../../control/client.js';
import { UsageError } from '../../domain/index.js';
import type { SirenTestResult } from '../../sirens/controller.js';
import { cliTarget, type GlobalOpts } from '../context.js';
import { action, json, out } from '../io.js';
import { formatLocal, siteTz } from '../time.js';
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
  const says: Record<SirenTestResult['steps'][number]['step'], [string, string]> = {
    on: [`switched ON`, `did not switch ON`],
    sound: [`sounded for ${r.seconds} s`, `failed while sounding`],
    off: [`switched OFF`, `did not switch OFF`],
    check: [`passed its check`, `failed its check`],
  };
  const lines = r.steps.map((s) => {
    const [pass, fail] = says[s.step];
    return s.ok ? `PASS: siren ${r.siren} ${pass}.` : `FAIL: siren ${r.siren} ${fail}: ${s.fault}.`;
  });
  lines.push(
    r.ok
      ? `siren ${r.siren} works.`
      : `siren ${r.siren} is FAULTY; check its wiring and driver, then run siaga siren test ${r.siren} again.`,
  );
  return lines;
}

export function registerSiren(program: Command): void {
  const siren = program.command('siren').description('test, stop or silence sirens on the running gateway');
  const target = () => cliTarget(program.opts<GlobalOpts>(), false);

  siren
    .command('test <siren>')
    .description('sound one siren (self_test_s, or --seconds), switch it off, check it; exit 1 on a fault')
    .option('--seconds <s>', 'how long to sound (1 to 60)')
    .option('--json', 'JSON for scripts')
    .action(
      action(async (id: string, o: { seconds?: string; json?: boolean }) => {
        const seconds = o.seconds === undefined ? undefined : numberIn('--seconds', o.seconds, 1, 60);
        const t = target();
        known(t.config, 'siren', id);
        const wait = (seconds ?? t.config?.siren_policy.max_activation_s ?? 60) + 30;
        const r = await call<SirenTestResult>(
          t.socket,
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
    .description('switch one siren off now (a new alarm sounds it again)')
    .action(
      action(async (id: string) => {
        const t = target();
        await call(t.socket, 'siren.off', { siren: known(t.config, 'siren', id) });
        out(`siren ${id} is off`);
      }),
    );
  siren
    .command('silence <zone> <minutes>')
    .description(
      'keep a zone silent for N minutes (max siren_policy.max_silence_min, 240); a panic button still sounds',
    )
    .option('--json', 'JSON for scripts (times in ISO 8601)')
    .action(
      action(async (zone: string, minutes: string, o: { json?: boolean }) => {
        const t = target();
        const max = t.config?.siren_policy.max_silence_min ?? 240;
        const m = Number(minutes);
        if (Number.isFinite(m) && m > max) {
          // The gateway would cut it to the maximum; a technician who typed 999 must know that.
          throw new UsageError(
            `a zone can be silenced for at most ${max} minutes; run again with ${max} or less`,
          );
        }
        const mins = numberIn('minutes', minutes, 1, max);
        known(t.config, 'zone', zone);
        const s = await call<{ until: number }>(t.socket, 'siren.silence', {
          zone,
          minutes: mins,
          by: who(),
        });
        if (o.json) return json({ zone, minutes: mins, until: new Date(s.until).toISOString() });
        out(`zone ${zone} silenced until ${formatLocal(s.until, siteTz(t.config))}`);
      }),
    );
  siren
    .command('unsilence <zone>')
    .description('lift a zone’s silence now')
    .action(
      action(async (zone: string) => {
        const t = target();
        const r = await call<{ cleared: boolean }>(t.socket, 'siren.unsilence', {
          zone: known(t.config, 'zone', zone),
          by: who(),
        });
        out(r.cleared ? `zone ${zone} may sound again` : `zone ${zone} was not silenced`);
      }),
    );
}
