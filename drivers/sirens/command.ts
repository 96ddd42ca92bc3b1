import { execFile } from 'node:child_process';
import { SirenError } from '../../src/domain/index.js';
import type { SirenCheck, SirenDriver } from '../../src/ports/siren-driver.js';

/** Runs a program to completion; rejects on spawn failure, timeout or non-zero exit. */
export type CommandRunner = (
  file: string,
  args: readonly string[],
  opts: { timeoutMs: number },
) => Promise<{ stdout: string; stderr: string }>;

/** What execFile rejects with: its exit code or signal, and what the program said. */
export interface ExecFailure extends Error {
  code?: number | string | null;
  signal?: NodeJS.Signals | null;
  killed?: boolean;
  stderr?: string;
}

/** The real runner: execFile without a shell (arguments are never interpreted). */
export const execRunner: CommandRunner = (file, args, opts) =>
  new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { timeout: opts.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) reject(Object.assign(err, { stderr }));
        else resolve({ stdout, stderr });
      },
    );
  });

/** Last `max` characters of a process's stderr, one line, for error messages and events. */
export function stderrTail(stderr: string | undefined, max = 200): string {
  const s = (stderr ?? '').trim().replace(/\s*\n\s*/g, ' | ');
  return s.length > max ? `…${s.slice(-max)}` : s;
}

/** Turns a runner failure into a SirenError saying what ran, how it ended and its stderr tail. */
export function commandFailure(siren: string, what: string, e: unknown, timeoutMs: number): SirenError {
  const err = e as ExecFailure;
  let how: string;
  if (err.killed || err.signal === 'SIGKILL') how = `did not finish within ${timeoutMs} ms`;
  else if (err.code === 'ENOENT') how = 'was not found';
  else if (err.code === 'EACCES') how = 'is not executable';
  else if (typeof err.code === 'number') how = `exited with code ${err.code}`;
  else how = `failed (${err.message})`;
  const tail = stderrTail(err.stderr);
  return new SirenError(siren, `${what} ${how}${tail ? `: ${tail}` : ''}`, { cause: e });
}

export interface CommandSirenOptions {
  id: string;
  command: string;
  args?: readonly string[];
  timeoutMs?: number;
  run?: CommandRunner;
}

/**
 * A siren switched by a configured program: `<command> <args…> on` / `… off`. Exit 0 means done;
 * a non-zero exit or a timeout rejects with a SirenError carrying the tail of stderr.
 * `check()` reports the last command's outcome (running the program to probe would sound it).
 */
export class CommandSiren implements SirenDriver {
  readonly id: string;
  private state: boolean | null = null;
  private lastFault: string | undefined;
  private readonly run: CommandRunner;
  private readonly timeoutMs: number;

  constructor(private readonly opts: CommandSirenOptions) {
    this.id = opts.id;
    this.run = opts.run ?? execRunner;
    this.timeoutMs = opts.timeoutMs ?? 5000;
  }

  on(): Promise<void> {
    return this.exec('on');
  }

  off(): Promise<void> {
    return this.exec('off');
  }

  check(): Promise<SirenCheck> {
    return Promise.resolve(
      this.lastFault ? { on: this.state, ok: false, fault: this.lastFault } : { on: this.state, ok: true },
    );
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private async exec(arg: 'on' | 'off'): Promise<void> {
    const args = [...(this.opts.args ?? []), arg];
    try {
      await this.run(this.opts.command, args, { timeoutMs: this.timeoutMs });
    } catch (e) {
      const err = commandFailure(this.id, `${this.opts.command} ${args.join(' ')}`, e, this.timeoutMs);
      this.lastFault = err.message;
      throw err;
    }
    this.lastFault = undefined;
    this.state = arg === 'on';
  }
}
