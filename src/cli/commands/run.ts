import type { Command } from 'commander';
import { configPath, loadConfig } from '../../config/load.js';
import { ConfigError } from '../../domain/index.js';
import { type Gateway, startGateway } from '../../main.js';
import { createLogger } from '../../util/log.js';
import { createNotifier } from '../../util/sd-notify.js';
import type { GlobalOpts } from '../context.js';
import { action } from '../io.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the gateway in the foreground (systemd runs exactly this); SIGHUP reloads the config')
    .action(
      action(async () => {
        const file = configPath(program.opts<GlobalOpts>().config);
        const { config } = loadConfig(file);
        const log = createLogger(config.log.level);
        // Installed before start so a SIGHUP during start-up cannot kill the process (its default action).
        let gw: Gateway | undefined;
        process.on('SIGHUP', () => {
          if (!gw) {
            log.warn('SIGHUP during start-up ignored; send it again once the gateway is ready');
            return;
          }
          // R6: a broken file is refused with the same messages as `config check`; the old config keeps running.
          gw.reloadFromFile().then(
            (r) => log.info({ file, ...r }, 'SIGHUP: config applied'),
            (e: unknown) => {
              const problems =
                e instanceof ConfigError ? e.issues.map((i) => `${i.path}: ${i.message}`) : [String(e)];
              log.error({ file, problems }, 'SIGHUP: config refused, the running config stays');
            },
          );
        });
        const notify = createNotifier({
          env: process.env,
          onError: (m) => log.warn({ err: m }, 'sd_notify failed'),
        });
        const started = await startGateway({ config, log, reloadConfig: () => loadConfig(file).config });
        gw = started;
        // systemd: READY once sirens are confirmed OFF and ports are open; keepalives from this
        // event loop, so a blocked loop stops them and systemd restarts the gateway.
        notify.ready(`gateway ${config.gateway.id} ready`);
        notify.startWatchdog();
        await new Promise<void>((resolve) => {
          const shutdown = (signal: string) => {
            log.info({ signal }, 'stopping: sirens off, flushing the outbox');
            notify.stopping();
            started.stop().then(
              () => {
                notify.stop();
                resolve();
              },
              (e: unknown) => {
                log.error({ err: String(e) }, 'error while stopping');
                process.exitCode = 1;
                resolve();
              },
            );
          };
          process.once('SIGTERM', () => shutdown('SIGTERM'));
          process.once('SIGINT', () => shutdown('SIGINT'));
        });
      }),
    );
}
