import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { writeGatewayConfig } from '../helpers/cli-exit.js';
import { tmpDir } from '../helpers/gateway.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'bin', 'siaga.js');

/**
 * A SIGTERM that arrives while `siaga run` is still starting (systemd stopping a unit that was just
 * started, a technician's Ctrl-C) must end in the same clean stop as one that comes later: sirens
 * OFF, the status saved for `siaga status`, exit 0 — not Node's default action, which kills the
 * process with nothing saved.
 */
describe('a stop signal during start-up', () => {
  it('is kept and acted on once the gateway has started: a clean stop, the status saved, exit 0', async () => {
    const dir = tmpDir('siaga-signal-');
    const file = writeGatewayConfig(dir);
    const child = spawn(process.execPath, [CLI, '-c', file, 'run'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, JOURNAL_STREAM: '', LANG: 'C', LC_ALL: '' },
    });
    let out = '';
    let signalled = false;
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      // The first thing a starting gateway prints is its safe-start siren OFF, before "ready".
      if (!signalled) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(signalled).toBe(true);
    expect(code).toBe(0);
    expect(out).toContain('gateway stopped');
    const db = new Database(join(dir, 'siaga.db'), { readonly: true });
    const row = db.prepare("SELECT value FROM meta WHERE key = 'status'").get() as
      | { value: string }
      | undefined;
    db.close();
    expect(row).toBeDefined();
    expect(JSON.parse(row?.value ?? '{}')).toHaveProperty('saved_at');
  }, 60_000);
});
