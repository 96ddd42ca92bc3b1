import { ConfigError, isSiagaError } from '../domain/index.js';
import { lang, translator } from '../i18n/index.js';

/** The CLI's messages in the user's language (LANG=id_ID.UTF-8: Bahasa Indonesia). */
export const t = translator(lang(process.env));

/** Every problem on its own line as `file:line:col: path: message`, which editors can jump to. */
export function configErrorText(e: ConfigError): string {
  const file = e.file ?? 'config';
  const lines = e.issues.map((i) => {
    const problem = i.path ? `${i.path}: ${i.message}` : i.message;
    return i.line !== undefined
      ? t('config.issue.at', { file, line: i.line, col: i.col ?? 1, problem })
      : t('config.issue.plain', { file, problem });
  });
  return [t('config.invalid', { file, count: e.issues.length }), ...lines.map((l) => `  ${l}`)].join('\n');
}

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
        process.stderr.write(`siaga: ${configErrorText(e)}\n`);
        process.exitCode = e.exitCode;
      } else if (isSiagaError(e)) {
        process.stderr.write(`siaga: ${e.message}\n`);
        process.exitCode = e.exitCode;
      } else {
        // One sentence for the person at the terminal; the stack only when asked for (a bug report).
        const detail = process.env.SIAGA_DEBUG && e instanceof Error ? `\n${e.stack}` : '';
        process.stderr.write(`siaga: ${t('cli.unexpected', { error: errorMessage(e) })}${detail}\n`);
        process.exitCode = 1;
      }
    }
  };
}
