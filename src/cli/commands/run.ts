import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { loadConfigIsolated } from '../../config/load-isolated.js';
import { configPath } from '../../config/path.js';
import type { Config } from '../../config/schema.js';
import { ConfigError, isSiagaError } from '../../domain/index.js';
import { settleHeapAfterStart } from '../../gateway/heap.js';
import type { Gateway } from '../../main.js';
import { loadMqttClient } from '../../uplink/stream-builder.js';
import { errorMessage } from '../../util/errors.js';
import { createLogger, LOG_FORMATS, type LogFormat } from '../../util/log.js';
import { createNotifier } from '../../util/sd-notify.js';
import type { GlobalOpts } from '../context.js';
import { installFatalHandlers } from '../fatal.js';
import { action, t } from '../io.js';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
type Level = (typeof LEVELS)[number];

interface RunOpts {
  logLevel?: Level;
  verbose?: number;
  logFormat?: LogFormat | 'auto';
}

/** `--log-level` wins, then `-v` (debug) / `-vv` (trace), then the file's `log.level`. */
export function levelFrom(o: RunOpts): Level | undefined {
  if (o.logLevel) return o.logLevel;
  if (o.verbose && o.verbose >= 2) return 'trace';
  if (o.verbose) return 'debug';
  return undefined;
}

/**
 * Whether the file has an `uplink:` section, read as text: a hint only, so that MQTT.js's client
 * loads while the config is checked in its own process (start to online; startGateway loads it
 * anyway once the checked config has an uplink, and a gateway without one never loads it).
 */
function namesUplink(file: string): boolean {
  try {
    return /^uplink\s*:/m.test(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description(t('run.cmd'))
    .addOption(new Option('--log-level <level>', t('run.opt.log_level')).choices(LEVELS))
    .option('-v, --verbose', t('run.opt.verbose'), (_v: string, n: number) => n + 1, 0)
    .addOption(
      new Option('--log-format <format>', t('run.opt.log_format')).choices(LOG_FORMATS).default('auto'),
    )
    .action(
      action(async (o: RunOpts) => {
        const file = configPath(program.opts<GlobalOpts>().config);
        const level = levelFrom(o);
        // The command line outlives a reload: SIGHUP must not drop `-v` back to the file's level.
        const withLevel = (c: Config): Config => (level ? { ...c, log: { ...c.log, level } } : c);
        // The file is checked in a process of its own (no YAML parser or zod here for the
        // gateway's life) while this one loads the gateway's modules.
        const onFallback = (why: string) =>
          process.stderr.write(`siaga: ${t('run.config_in_process', { why })}\n`);
        const loadFile = async () => withLevel(await loadConfigIsolated(file, { onFallback }));
        const gatewayModule = import('../../main.js');
        if (namesUplink(file)) loadMqttClient().catch(() => undefined);
        // Awaited below; a broken config ends the command first and must not leave it unheard.
        gatewayModule.catch(() => undefined);
        const config = await loadFile();
        const { startGateway } = await gatewayModule;
        const log = createLogger(config.log.level, undefined, { format: o.logFormat ?? 'auto' });
        // Installed before start so a SIGHUP during start-up cannot kill the process (its default action).
        let gw: Gateway | undefined;
        installFatalHandlers({
          proc: process,
          log,
          sirensOff: () => gw?.sirens.stop(),
          exit: (code) => process.exit(code),
        });
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
        // Signals are heard from the first moment: one that comes while the gateway starts is kept
        // and acted on as soon as it has started (its sirens are OFF by then), never the default
        // action that would kill it with nothing saved.
        let stopNow: ((signal: string) => void) | undefined;
        let stopWanted: string | undefined;
        const onSignal = (signal: string) => {
          if (stopNow) stopNow(signal);
          else stopWanted ??= signal;
        };
        process.on('SIGTERM', () => onSignal('SIGTERM'));
        process.on('SIGINT', () => onSignal('SIGINT'));
        let started: Gateway;
        try {
          started = await startGateway({
            config,
            log,
            reloadConfig: loadFile,
          });
        } catch (e) {
          // What had started is rolled back already; end now, whatever handle a library still
          // holds, so systemd sees the failure (and the technician one sentence, not a stack).
          log.error({ err: e }, 'start-up failed');
          log.flush();
          process.stderr.write(
            isSiagaError(e)
              ? `siaga: ${e.message}\n`
              : `siaga: ${t('run.start_failed', { error: errorMessage(e) })}\n`,
          );
          process.exit(isSiagaError(e) ? e.exitCode : 1);
        }
        gw = started;
        // Soon after ready (src/gateway/heap.ts): a broker on the LAN has answered the CONNACK by
        // then, which the GC's pause (~20 ms) would otherwise delay; a backlog drain that started
        // on it has run for at most this long under the start-up heap limits.
        setTimeout(settleHeapAfterStart, 100).unref();
        // systemd: READY once sirens are confirmed OFF and ports are open; keepalives from this
        // event loop, so a blocked loop stops them and systemd restarts the gateway.
        notify.ready(`gateway ${config.gateway.id} ready`);
        notify.startWatchdog();
        await new Promise<void>((resolve) => {
          let stopping = false;
          const shutdown = (signal: string) => {
            if (stopping) return;
            stopping = true;
            log.info({ signal }, 'stopping: sirens off, flushing the outbox');
            notify.stopping();
            started.stop().then(
              () => {
                notify.stop();
                log.flush();
                resolve();
              },
              (e: unknown) => {
                log.error({ err: e }, 'error while stopping');
                log.flush();
                process.exitCode = 1;
                resolve();
              },
            );
          };
          stopNow = shutdown;
          if (stopWanted) shutdown(stopWanted);
        });
      }),
    );
}
