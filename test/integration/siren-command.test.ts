import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandSiren } from '../../drivers/sirens/command.js';
import { SirenError } from '../../src/domain/index.js';

describe('command siren running a real program', () => {
  let dir: string;
  let script: string;
  let failing: string;
  let slow: string;
  let log: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'siaga-siren-cmd-'));
    log = join(dir, 'calls.log');
    script = join(dir, 'siren.sh');
    writeFileSync(script, `#!/bin/sh\necho "$@" >> '${log}'\n`);
    failing = join(dir, 'broken.sh');
    writeFileSync(failing, '#!/bin/sh\necho "relay board not found on /dev/ttyUSB9" >&2\nexit 3\n');
    slow = join(dir, 'slow.sh');
    writeFileSync(slow, '#!/bin/sh\nsleep 5\n');
    for (const f of [script, failing, slow]) chmodSync(f, 0o755);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs `<command> <args…> on|off` and records the state', async () => {
    const siren = new CommandSiren({ id: 's-test', command: script, args: ['--zone', 'z braja'] });
    await siren.on();
    await siren.off();
    expect(readFileSync(log, 'utf8')).toBe('--zone z braja on\n--zone z braja off\n');
    expect(await siren.check()).toEqual({ on: false, ok: true });
  });

  it('a non-zero exit rejects with a SirenError carrying the stderr tail', async () => {
    const siren = new CommandSiren({ id: 's-bad', command: failing });
    const err = await siren.on().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SirenError);
    expect((err as SirenError).siren).toBe('s-bad');
    expect((err as SirenError).message).toMatch(
      /exited with code 3: relay board not found on \/dev\/ttyUSB9/,
    );
    expect((await siren.check()).ok).toBe(false);
  });

  it('a program that hangs is killed at timeout_ms', async () => {
    const siren = new CommandSiren({ id: 's-slow', command: slow, timeoutMs: 200 });
    const t0 = Date.now();
    await expect(siren.on()).rejects.toThrow(/did not finish within 200 ms/);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('a missing program is a clear fault', async () => {
    const siren = new CommandSiren({ id: 's-none', command: join(dir, 'nope') });
    await expect(siren.off()).rejects.toThrow(/was not found/);
  });
});
