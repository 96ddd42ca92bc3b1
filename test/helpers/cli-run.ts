import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { CLI } from './gateway-process.js';

const execFileAsync = promisify(execFile);

export interface CliResult {
  /** The exit code: what a script or a technician's shell sees. */
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `siaga <args>` as a technician does and resolves with its exit code and output;
 * a failing command is a result to assert on, not a rejection. `timeoutMs` only stops a hung CLI.
 */
export async function runCli(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliResult> {
  try {
    const r = await execFileAsync(process.execPath, [CLI, ...args], {
      timeout: opts.timeoutMs ?? 90_000,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      ...(opts.env ? { env: opts.env } : {}),
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: unknown; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

/** The environment of a person whose language is `LANG`: no LC_* override, no SIAGA_CONFIG. */
export function langEnv(LANG = 'C.UTF-8'): NodeJS.ProcessEnv {
  return { ...process.env, LANG, LC_ALL: '', LC_MESSAGES: '', SIAGA_CONFIG: '' };
}

/** `siaga <args>` run to completion in a given language, with `input` on stdin. */
export function runCliSync(args: string[], opts: { LANG?: string; input?: string } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: langEnv(opts.LANG),
    ...(opts.input === undefined ? {} : { input: opts.input }),
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
