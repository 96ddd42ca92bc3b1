import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseLogFormat, prettyLine, syslogPriority } from '../../src/util/log.js';
import { runUntilExit, writeGatewayConfig } from '../helpers/cli-exit.js';
import { tmpDir } from '../helpers/gateway.js';
import { must } from '../helpers/must.js';

/**
 * A gateway whose start fails quickly and predictably (its control socket directory is missing):
 * it logs at debug (rolling back), error (start-up failed) and exits, so every level can be
 * checked on a real `siaga run` without waiting for traffic.
 */
function failingConfig(dir: string): string {
  return writeGatewayConfig(dir, `control: {socket: ${join(dir, 'missing', 'siaga.sock')}}`);
}

const run = runUntilExit;

/** The log lines of stdout (the print siren's lines are not JSON and not logs). */
function logLines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.includes('"level":'));
}

describe('logs a technician can read (issue 12 item 7)', () => {
  it('--log-format journal puts the syslog priority journald files by in front of every line', async () => {
    const dir = tmpDir();
    const r = await run(['-c', failingConfig(dir), 'run', '-v', '--log-format', 'journal']);
    expect(r.code).toBe(1);
    const lines = logLines(r.stdout);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      const [, prio, json] = must(/^<(\d)>(\{.*\})$/.exec(line), `<priority>{json} in ${line}`);
      const level = (JSON.parse(must(json, 'the JSON part')) as { level: number }).level;
      expect(Number(prio)).toBe(syslogPriority(level));
    }
    // The failure is an error (<3>), so `journalctl -p warning` shows it; the rollback is debug (<7>).
    expect(lines.some((l) => l.startsWith('<3>') && l.includes('"msg":"start-up failed"'))).toBe(true);
    expect(lines.some((l) => l.startsWith('<7>') && l.includes('rolling back'))).toBe(true);
  });

  it('under systemd (JOURNAL_STREAM names our stdout) the priorities come by themselves', async () => {
    const dir = tmpDir();
    const out = join(dir, 'journal.out');
    const fd = openSync(out, 'w');
    const st = fstatSync(fd);
    try {
      await run(['-c', failingConfig(dir), 'run'], {
        env: { JOURNAL_STREAM: `${st.dev}:${st.ino}` },
        stdoutFd: fd,
      });
    } finally {
      closeSync(fd);
    }
    const lines = logLines(readFileSync(out, 'utf8'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => /^<\d>\{/.test(l))).toBe(true);

    // A JOURNAL_STREAM inherited from elsewhere (not our stdout) leaves plain JSON for pipes.
    const r = await run(['-c', failingConfig(tmpDir()), 'run'], { env: { JOURNAL_STREAM: '1:1' } });
    const plain = logLines(r.stdout);
    expect(plain.length).toBeGreaterThan(0);
    expect(plain.every((l) => l.startsWith('{'))).toBe(true);
  });

  it('--log-level and -v choose what is written, over the file', { timeout: 120_000 }, async () => {
    const levels = async (args: string[]) =>
      logLines((await run(['-c', failingConfig(tmpDir()), 'run', ...args])).stdout).map(
        (l) => (JSON.parse(l) as { level: number }).level,
      );
    const plain = await levels([]);
    expect(plain).toContain(50);
    expect(plain.some((l) => l < 30)).toBe(false);
    expect((await levels(['-v'])).some((l) => l === 20)).toBe(true);
    expect((await levels(['-vv'])).some((l) => l === 20)).toBe(true);
    const quiet = await levels(['--log-level', 'fatal']);
    expect(quiet).toEqual([]);
    const r = await run(['-c', failingConfig(tmpDir()), 'run', '--log-level', 'loud']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/--log-level.*loud.*choices/s);
  });

  it('--log-format pretty writes one readable line per entry, and the failure sentence stays on stderr', async () => {
    const r = await run(['-c', failingConfig(tmpDir()), 'run', '--log-format', 'pretty']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} ERROR start-up failed {2}err="control socket .*missing/m,
    );
    expect(r.stdout).not.toContain('"level":');
    expect(r.stderr).toMatch(/^siaga: control socket .* does not exist; create it/);
  });
});

describe('log format choice and pretty lines (pure)', () => {
  const stat = () => ({ dev: 5, ino: 77 });
  it('journal only when JOURNAL_STREAM is our own stream; pretty on a terminal; else JSON', () => {
    expect(chooseLogFormat({ JOURNAL_STREAM: '5:77' }, 1, false, stat)).toBe('journal');
    expect(chooseLogFormat({ JOURNAL_STREAM: '5:78' }, 1, false, stat)).toBe('json');
    expect(chooseLogFormat({ JOURNAL_STREAM: '5:78' }, 1, true, stat)).toBe('pretty');
    expect(chooseLogFormat({}, 1, false, stat)).toBe('json');
  });

  it('maps every pino level to its syslog priority', () => {
    expect([60, 50, 40, 30, 20, 10].map(syslogPriority)).toEqual([2, 3, 4, 6, 7, 7]);
  });

  it('shows the component, the message, the keys and the cause of an error', () => {
    const line = JSON.stringify({
      level: 40,
      time: '2026-12-01T07:14:43.123Z',
      svc: 'siaga',
      c: 'uplink',
      err: { type: 'Error', message: 'connect ECONNREFUSED 10.0.0.1:8883', code: 'ECONNREFUSED' },
      backlog: 12,
      msg: 'uplink connect failed',
    });
    expect(prettyLine(line)).toBe(
      '07:14:43.123 WARN  [uplink] uplink connect failed  err="ECONNREFUSED connect ECONNREFUSED 10.0.0.1:8883" backlog=12\n',
    );
    expect(prettyLine('not json')).toBe('not json\n');
  });
});
