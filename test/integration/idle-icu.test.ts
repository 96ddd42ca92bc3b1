import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { gatewayYaml } from '../helpers/cli-exit.js';
import { tmpDir } from '../helpers/gateway.js';
import { CLI } from '../helpers/gateway-process.js';

/**
 * ICU's locale data (~8 MB for a date formatter, ~3 MB for a collator) is paged in by the first
 * call that needs it and stays resident: a `siaga run` that starts, checks its config and runs its
 * cron table (heartbeat and node check, here every second, in the site's zone while the process
 * runs in UTC) must make no such call. Spawned with a hook (test/helpers/intl-trace.mjs) that
 * writes each one down.
 */

const TRACE = new URL('../helpers/intl-trace.mjs', import.meta.url).pathname;

const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** The `saved_at` of the status snapshot the heartbeat writes, once there is one. */
function savedAt(db: string): number | undefined {
  try {
    const d = new Database(db, { readonly: true, fileMustExist: true });
    try {
      const row = d.prepare("SELECT value FROM meta WHERE key = 'status'").get() as
        | { value: string }
        | undefined;
      return row ? (JSON.parse(row.value) as { saved_at: number }).saved_at : undefined;
    } finally {
      d.close();
    }
  } catch {
    return undefined;
  }
}

it('a running gateway, heartbeats included, never reads ICU locale data', async () => {
  const dir = tmpDir('siaga-icu-');
  const file = join(dir, 'siaga.yaml');
  const trace = join(dir, 'intl.txt');
  const schedules = "schedules: {heartbeat: '* * * * * *', node_check: '* * * * * *'}\n";
  writeFileSync(file, `${gatewayYaml(dir, schedules)}log: {level: info}\n`);
  writeFileSync(trace, '');
  const child = spawn(process.execPath, ['--import', TRACE, CLI, '-c', file, 'run'], {
    env: { ...process.env, TZ: 'UTC', SIAGA_INTL_TRACE: trace },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  // Three heartbeats: each saves the status snapshot with a new saved_at.
  const seen = new Set<number>();
  const deadline = Date.now() + 60_000;
  while (seen.size < 3 && !exited && Date.now() < deadline) {
    const t = savedAt(join(dir, 'siaga.db'));
    if (t !== undefined) seen.add(t);
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(seen.size).toBe(3);
  expect(readFileSync(trace, 'utf8')).toBe('');
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
}, 90_000);
