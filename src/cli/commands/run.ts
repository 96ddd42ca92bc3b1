import type { Command } from 'commander';
import { startGateway } from '../../main.js';
import { cliConfig, type GlobalOpts } from '../context.js';
import { action } from '../io.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the gateway in the foreground (systemd runs exactly this)')
    .action(
      action(async () => {
        const { config } = cliConfig(program.opts<GlobalOpts>());
        const gw = await startGateway({ config });
        await new Promise<void>((resolve) => {
          const shutdown = (signal: string) => {
            process.stderr.write(`siaga: ${signal}, stopping (sirens off, flushing)\n`);
            gw.stop().then(resolve, (e: unknown) => {
              process.stderr.write(`siaga: error while stopping: ${String(e)}\n`);
              process.exitCode = 1;
              resolve();
            });
          };
          process.once('SIGTERM', () => shutdown('SIGTERM'));
          process.once('SIGINT', () => shutdown('SIGINT'));
        });
      }),
    );
}
