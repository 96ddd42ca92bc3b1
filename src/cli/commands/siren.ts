import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { call } from '../../control/client.js';
import { UsageError } from '../../domain/index.js';
import { cliConfig, controlSocket, type GlobalOpts } from '../context.js';
import { action, json, out } from '../io.js';

function who(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

export function registerSiren(program: Command): void {
  const siren = program.command('siren').description('test, stop or silence sirens on the running gateway');
  const socket = () => controlSocket(cliConfig(program.opts<GlobalOpts>()).config);

  siren
    .command('test <siren>')
    .description('sound one siren briefly (self_test_s) and check it')
    .option('--seconds <s>', 'how long to sound')
    .action(
      action(async (id: string, o: { seconds?: string }) => {
        const seconds = o.seconds === undefined ? undefined : Number(o.seconds);
        if (seconds !== undefined && !(seconds > 0 && seconds <= 60))
          throw new UsageError('--seconds takes 1 to 60');
        const state = await call(
          socket(),
          'siren.test',
          { siren: id, ...(seconds ? { seconds } : {}) },
          70_000,
        );
        out(`siren ${id} tested`);
        json(state);
      }),
    );
  siren
    .command('off <siren>')
    .description('switch one siren off now (a new alarm sounds it again)')
    .action(
      action(async (id: string) => {
        await call(socket(), 'siren.off', { siren: id });
        out(`siren ${id} is off`);
      }),
    );
  siren
    .command('silence <zone> <minutes>')
    .description('keep a zone silent for N minutes (max 240); a panic button still sounds')
    .action(
      action(async (zone: string, minutes: string) => {
        const m = Number(minutes);
        if (!Number.isFinite(m) || m <= 0)
          throw new UsageError('minutes must be a number above 0 (at most 240)');
        const s = await call<{ until: number }>(socket(), 'siren.silence', { zone, minutes: m, by: who() });
        out(`zone ${zone} silenced until ${new Date(s.until).toLocaleString()}`);
      }),
    );
  siren
    .command('unsilence <zone>')
    .description('lift a zone’s silence now')
    .action(
      action(async (zone: string) => {
        const r = await call<{ cleared: boolean }>(socket(), 'siren.unsilence', { zone, by: who() });
        out(r.cleared ? `zone ${zone} may sound again` : `zone ${zone} was not silenced`);
      }),
    );
}
