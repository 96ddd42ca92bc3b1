import type { Command } from 'commander';
import { hashPassword } from '../../broker/password.js';
import { UsageError } from '../../domain/index.js';
import { action, out, t } from '../io.js';

export const MIN_PASSWORD_LENGTH = 8;

/** Refuses a password the broker should not accept; returns it unchanged otherwise. */
export function checkPassword(password: string): string {
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw new UsageError(t('passwd.too_short', { length: [...password].length, min: MIN_PASSWORD_LENGTH }));
  }
  return password;
}

/** The hash line for stdout and the hint for stderr (how to use it in local_broker.users). */
export async function passwdOutput(password: string): Promise<{ hash: string; hint: string }> {
  const hash = await hashPassword(checkPassword(password));
  const hint = t('passwd.hint', {
    example: `- {username: pir-07, password_hash: "${hash}", role: node, node: pir-07}`,
  });
  return { hash, hint };
}

/** The first line of a non-TTY stdin (scripts: `echo "$PW" | siaga passwd`), without its newline. */
export async function readLine(input: NodeJS.ReadableStream): Promise<string> {
  let buf = '';
  for await (const chunk of input) {
    buf += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    if (buf.includes('\n')) break;
  }
  return (buf.split('\n')[0] ?? '').replace(/\r$/, '');
}

/**
 * Reads one line from a TTY without echo (raw mode), answering Backspace and Ctrl-C/Ctrl-D.
 * Resolves undefined when the user aborts.
 */
export function readHidden(
  prompt: string,
  input: NodeJS.ReadStream,
  echo: NodeJS.WritableStream,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    echo.write(prompt);
    let value = '';
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    input.resume();
    input.setEncoding('utf8');
    const done = (result: string | undefined) => {
      input.setRawMode(wasRaw);
      input.pause();
      input.removeListener('data', onData);
      echo.write('\n');
      resolve(result);
    };
    const onData = (s: string) => {
      for (const ch of s) {
        if (ch === '\r' || ch === '\n') return done(value);
        if (ch === '\u0003' || ch === '\u0004') return done(undefined);
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
  });
}

export function registerPasswd(program: Command): void {
  program
    .command('passwd')
    .description(t('passwd.cmd'))
    .action(
      action(async () => {
        let password: string;
        if (process.stdin.isTTY) {
          const first = await readHidden(t('passwd.prompt'), process.stdin, process.stderr);
          if (first === undefined) throw new UsageError(t('passwd.cancelled'));
          checkPassword(first);
          const again = await readHidden(t('passwd.again'), process.stdin, process.stderr);
          if (again === undefined) throw new UsageError(t('passwd.cancelled'));
          if (again !== first) throw new UsageError(t('passwd.differ'));
          password = first;
        } else {
          password = await readLine(process.stdin);
        }
        const { hash, hint } = await passwdOutput(password);
        out(hash);
        process.stderr.write(`${hint}\n`);
      }),
    );
}
