import { ConfigError, isSiagaError } from '../domain/index.js';
import { errorMessage } from '../util/errors.js';

/** CLI output for people and scripts; the only place that writes to stdout besides pino. */
export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function json(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

/**
 * Runs a command action: a SiagaError ends the process with its exit code and its message (one
 * sentence that says what to do); anything else is a bug, reported with exit 1.
 */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void> | void,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      if (e instanceof ConfigError) {
        process.stderr.write(
          `siaga: config ${e.file ?? ''} is invalid; fix these and run siaga config check again:\n${e.message}\n`,
        );
        process.exitCode = e.exitCode;
      } else if (isSiagaError(e)) {
        process.stderr.write(`siaga: ${e.message}\n`);
        process.exitCode = e.exitCode;
      } else {
        // One sentence for the person at the terminal; the stack only when asked for (a bug report).
        const detail = process.env.SIAGA_DEBUG && e instanceof Error ? `\n${e.stack}` : '';
        process.stderr.write(
          `siaga: unexpected error: ${errorMessage(e)}; run again with SIAGA_DEBUG=1 and report the output${detail}\n`,
        );
        process.exitCode = 1;
      }
    }
  };
}
