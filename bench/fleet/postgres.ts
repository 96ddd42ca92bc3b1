import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../broker.js';
import { sleep } from '../common.js';

/**
 * Debian's PostgreSQL for the reference consumer, started by the bench itself: `initdb` into a
 * scratch directory and `postgres` on a free port (unix socket in the same directory), as the
 * `postgres` user through `runuser` when the bench runs as root (PostgreSQL refuses root).
 */
export interface Postgres {
  /** libpq's variables for the consumer (PGHOST, PGPORT, PGUSER, PGDATABASE). */
  env: Record<string, string>;
  pid: number;
  /** Runs one SQL statement through psql and returns its unaligned output. */
  sql(query: string): string;
  stop(): Promise<void>;
}

export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

export async function startPostgres(): Promise<Postgres> {
  // Its own scratch directory: the bench's is 0700 root, which the postgres user cannot enter.
  const dir = mkdtempSync(join(tmpdir(), 'siaga-fleet-pg-'));
  const bin = postgresBin();
  if (!bin)
    throw new Error('PostgreSQL not found in /usr/lib/postgresql/*/bin: sudo apt-get install -y postgresql');
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? 'postgres' : (process.env.USER ?? 'postgres');
  const data = join(dir, 'data');
  mkdirSync(data, { recursive: true });
  if (asRoot) {
    const { uid, gid } = idOf('postgres');
    chownSync(dir, uid, gid);
    chownSync(data, uid, gid);
  }
  const as = (cmd: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  const [c, a] = as(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    user,
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-instructions',
  ]);
  execFileSync(c, a, { stdio: 'pipe' });
  const port = await freePort();
  const [pc, pa] = as(join(bin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    // Durable like a real centre: fsync and synchronous_commit stay on.
    '-c',
    'shared_buffers=256MB',
    '-c',
    'max_wal_size=2GB',
    '-c',
    'logging_collector=off',
  ]);
  const proc: ChildProcess = spawn(pc, pa, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  process.once('exit', () => proc.kill('SIGKILL'));
  const env = { PGHOST: '127.0.0.1', PGPORT: String(port), PGUSER: user, PGDATABASE: 'postgres' };
  const psql = join(bin, 'psql');
  const sql = (query: string): string =>
    execFileSync(psql, ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', query], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      sql('SELECT 1');
      break;
    } catch {
      if (Date.now() > deadline || proc.exitCode !== null)
        throw new Error(`postgres did not start: ${stderr}`);
      await sleep(200);
    }
  }
  // The postmaster runs under runuser: find its own pid for /proc figures.
  const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  return {
    env,
    pid,
    sql,
    async stop() {
      if (proc.exitCode !== null) return rmSync(dir, { recursive: true, force: true });
      const [sc, sa] = as(join(bin, 'pg_ctl'), ['-D', data, 'stop', '-m', 'fast']);
      try {
        execFileSync(sc, sa, { stdio: 'pipe' });
      } catch {
        proc.kill('SIGKILL');
      }
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function idOf(user: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  return { uid, gid };
}
