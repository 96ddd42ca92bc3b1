import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** A connected pair of real ptys made by socat: bytes written to one end arrive at the other. */
export interface PtyPair {
  /** Path of one end (a symlink to /dev/pts/N). */
  a: string;
  /** Path of the other end. */
  b: string;
  /** The socat process id. */
  pid: number;
  /**
   * Kills socat (SIGTERM, then SIGKILL after 1 s) and removes the links. Both ends hang up, like an
   * unplugged adapter. Idempotent; never rejects.
   */
  close(): Promise<void>;
  /**
   * Kills socat with SIGKILL and leaves its links dangling, like a brown-out: the path still exists
   * as a symlink but opening it fails. `close()` afterwards still cleans up.
   */
  crash(): Promise<void>;
}

export interface PtyPairOptions {
  /** Link names inside `dir`; default `a` and `b`. Reuse them to "re-plug" the same device paths. */
  names?: [string, string];
  /** How long to wait for socat to create both links; default 5000 ms. */
  timeoutMs?: number;
}

let available: boolean | undefined;
/** socat processes still running, killed if the test process exits without closing them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** `true` if a working socat is on the PATH (checked once per process). */
export function socatAvailable(): boolean {
  available ??= spawnSync('socat', ['-V'], { stdio: 'ignore', timeout: 5000 }).status === 0;
  return available;
}

/**
 * Starts `socat -d -d pty,raw,echo=0,link=<dir>/a pty,raw,echo=0,link=<dir>/b` and resolves when
 * both links exist. Rejects (after killing socat) if socat exits early or the links do not appear
 * within the time box. Stale links from a previous pair with the same names are removed first.
 */
export async function createPtyPair(dir: string, opts: PtyPairOptions = {}): Promise<PtyPair> {
  const [nameA, nameB] = opts.names ?? ['a', 'b'];
  const a = join(dir, nameA);
  const b = join(dir, nameB);
  const timeoutMs = opts.timeoutMs ?? 5000;
  // A socat killed with SIGKILL leaves its links behind, pointing at ptys that no longer exist.
  rmSync(a, { force: true });
  rmSync(b, { force: true });

  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  live.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => {
    if (stderr.length < 4096) stderr += s;
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else
      child.once('exit', () => {
        live.delete(child);
        resolve();
      });
  });
  let spawnError: Error | undefined;
  child.once('error', (e) => {
    spawnError = e;
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= kill(child, exited).then(() => {
      rmSync(a, { force: true });
      rmSync(b, { force: true });
    });
    return closing;
  };

  const deadline = Date.now() + timeoutMs;
  while (!(existsSync(a) && existsSync(b))) {
    const gone = spawnError !== undefined || child.exitCode !== null || child.signalCode !== null;
    if (gone || Date.now() > deadline) {
      await close();
      const why = spawnError
        ? `could not start socat: ${spawnError.message}`
        : gone
          ? `socat exited early (${child.exitCode ?? child.signalCode})`
          : `socat links did not appear within ${timeoutMs} ms`;
      throw new Error(`${why}\n${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  if (child.pid === undefined) throw new Error('socat has no pid');
  const crash = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  return { a, b, pid: child.pid, close, crash };
}

async function kill(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(true), 1000);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    child.kill('SIGKILL');
    await exited;
  }
}
