import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { type Clock, isSiagaError, StartupError } from '../domain/index.js';
import { errorMessage } from '../util/errors.js';
import type { Counters } from './counters.js';
import type { Ingest } from './ingest.js';

/** What a listener binds, for the one sentence a failed start prints. */
export type Listener =
  | { proto: 'udp' | 'tcp'; key: string; port: number; host?: string }
  | { proto: 'unix'; key: string; path: string };

/**
 * A failed bind as one sentence naming the port (or socket), the config key and the fix. systemd
 * and a technician both see only this line, so it must say what to do.
 */
export function bindError(e: unknown, l: Listener): StartupError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (l.proto === 'unix') {
    const dir = dirname(l.path);
    const where = `control socket ${l.path} (${l.key})`;
    // Node reports a missing directory for a unix socket as EACCES: look before blaming permissions.
    if (code === 'ENOENT' || !existsSync(dir))
      return new StartupError(
        `${where}: directory ${dir} does not exist; create it (sudo install -d -o siaga -g siaga ${dir}) or choose another path`,
        { cause: e },
      );
    if (code === 'EACCES' || code === 'EPERM')
      return new StartupError(
        `${where}: this user may not create files in ${dir}; give it to user siaga (sudo chown siaga:siaga ${dir}) or choose another path`,
        { cause: e },
      );
    return new StartupError(`${where} could not be opened (${errorMessage(e)}); check the path`, {
      cause: e,
    });
  }
  const port = `${l.proto}/${l.port} (${l.key})`;
  if (code === 'EADDRINUSE')
    return new StartupError(`${port} is already in use by another process; stop it or choose another port`, {
      cause: e,
    });
  if (code === 'EACCES' || code === 'EPERM')
    return new StartupError(
      `${port} may not be bound by this user (ports below 1024 need root or CAP_NET_BIND_SERVICE); choose a port from 1024 up`,
      { cause: e },
    );
  if (code === 'EADDRNOTAVAIL')
    return new StartupError(
      `${port}: ${l.host ?? 'the host'} is not an address of this machine; bind 0.0.0.0 or one of its addresses`,
      { cause: e },
    );
  return new StartupError(`${port} could not be opened (${errorMessage(e)})`, { cause: e });
}

/**
 * What start-up has started, undone in reverse order when a later step fails, so a failed start
 * ends (exit 1) instead of leaving a half-started gateway holding ports and timers.
 */
export class Rollback {
  private readonly steps: { what: string; undo: () => unknown }[] = [];

  /** Records how to undo something that has just started. */
  add(what: string, undo: () => unknown): void {
    this.steps.push({ what, undo });
  }

  /** Starts a listener; a failed bind becomes the one-sentence StartupError. */
  async listen(l: Listener, start: () => Promise<void>, what: string, stop: () => unknown): Promise<void> {
    try {
      await start();
    } catch (e) {
      // A half-started part (aedes created, then its listen failed) may hold timers: stop it too.
      try {
        await stop();
      } catch {
        // It never fully started; the bind error is what the technician needs.
      }
      throw isSiagaError(e) ? e : bindError(e, l);
    }
    this.add(what, stop);
  }

  /**
   * Undoes every step, newest first. Each gets at most `stepMs` and all together `totalMs`, so one
   * stuck part cannot hold the exit (the failed start must end within 5 s); later steps are still
   * called, just not waited for.
   */
  async run(log: Logger, stepMs = 1500, totalMs = 3500): Promise<void> {
    const deadline = Date.now() + totalMs;
    for (const s of this.steps.splice(0).reverse()) {
      const ms = Math.max(0, Math.min(stepMs, deadline - Date.now()));
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(s.undo),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`did not stop within ${ms} ms`)), ms);
          }),
        ]);
      } catch (err) {
        log.warn({ err, part: s.what }, 'start-up rollback: a part did not stop cleanly');
      } finally {
        clearTimeout(timer);
      }
    }
  }
}

/** What an input that binds a port at start (the local broker, GWMP) is built with. */
export interface ListenerDeps {
  ingest: Ingest;
  clock: Clock;
  counters: Counters;
  log: Logger;
  rollback: Rollback;
  /** Overrides the configured port (0 = any free one). */
  port: number | undefined;
}
