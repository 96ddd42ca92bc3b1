import type { Logger } from 'pino';

export interface FatalDeps {
  /** The process (an EventEmitter in tests). */
  proc: Pick<NodeJS.Process, 'on'>;
  log: Logger;
  /** Switches every siren OFF; undefined before the sirens exist. */
  sirensOff: () => Promise<unknown> | undefined;
  exit: (code: number) => void;
  /** How long the sirens get before the process exits anyway. */
  offTimeoutMs?: number;
}

/**
 * A bug that escapes every handler must not leave a half-dead gateway (a siren stuck ON, ports
 * held, the watchdog fed by a loop that no longer ingests): log it, switch the sirens OFF, flush
 * the log and exit non-zero so systemd (Restart=always) starts a clean process.
 */
export function installFatalHandlers(d: FatalDeps): void {
  let dying = false;
  const die = (what: string, err: unknown) => {
    if (dying) {
      d.log.error({ err }, `${what} while exiting after a fatal error`);
      return;
    }
    dying = true;
    d.log.fatal({ err }, `${what}: sirens off, exiting so systemd restarts a clean gateway`);
    let timer: NodeJS.Timeout | undefined;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      d.log.flush();
      d.exit(1);
    };
    timer = setTimeout(end, d.offTimeoutMs ?? 3000);
    try {
      Promise.resolve(d.sirensOff()).then(end, (e: unknown) => {
        d.log.error({ err: e }, 'sirens could not all be switched off');
        end();
      });
    } catch (e) {
      d.log.error({ err: e }, 'sirens could not all be switched off');
      end();
    }
  };
  d.proc.on('uncaughtException', (err) => die('uncaught exception', err));
  d.proc.on('unhandledRejection', (err) => die('unhandled promise rejection', err));
}
