import { createSocket, type Socket } from 'node:dgram';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashPassword } from '../../src/broker/password.js';
import { registerDoctor } from '../../src/cli/commands/doctor.js';
import { loadConfig } from '../../src/config/load.js';
import { realProbes } from '../../src/doctor/probes.js';
import { type DoctorReport, formatReport, runDoctor } from '../../src/doctor/run.js';
import { createPtyPair, type PtyPair, socatAvailable } from '../helpers/socat.js';

const isRoot = process.getuid?.() === 0;

async function freeTcpPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Runs `siaga -c <file> doctor [--json]` in-process (the command is registered by main.ts). */
async function cli(args: string[]): Promise<{ stdout: string; exitCode: number }> {
  const program = new Command('siaga').option('-c, --config <file>').exitOverride();
  registerDoctor(program);
  let stdout = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const before = process.exitCode;
  try {
    await program.parseAsync(['node', 'siaga', ...args]);
    return { stdout, exitCode: Number(process.exitCode ?? 0) };
  } finally {
    spy.mockRestore();
    process.exitCode = before;
  }
}

if (!socatAvailable())
  console.warn('socat not installed: skipping the doctor test on a real pty (CI has it)');

describe.skipIf(!socatAvailable())('siaga doctor on a real, broken setup', () => {
  let dir: string;
  let pty: PtyPair;
  let udp: Socket;
  let udpPort: number;
  let file: string;
  let report: DoctorReport;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'siaga-doctor-'));
    pty = await createPtyPair(dir, { names: ['ttyGOOD', 'ttyRELAY'] });
    // Some other program holds the LoRa UDP port.
    udp = createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    udpPort = udp.address().port;
    // Storage the gateway cannot write: a read-only dir, or (root writes anywhere) a file in the way.
    let storageDir: string;
    if (isRoot) {
      storageDir = join(dir, 'blocker');
      writeFileSync(storageDir, 'not a directory');
    } else {
      storageDir = join(dir, 'ro');
      mkdirSync(storageDir);
      chmodSync(storageDir, 0o555);
    }
    const key = join(dir, 'cmd.key');
    writeFileSync(key, 'a-command-secret-of-32-characters');
    chmodSync(key, 0o644);
    file = join(dir, 'siaga.yaml');
    writeFileSync(
      file,
      `
gateway: {id: gw-test, site: {name: Braja, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}, min_valid_time: "2020-01-01"}
storage: {path: ${storageDir}/siaga.db}
commands: {keys: [{id: ops-1, secret_file: cmd.key}]}
local_broker: {enabled: true, port: ${await freeTcpPort()}, users: [{username: pir-1, password_hash: "${await hashPassword('pir-1-password')}", role: node, node: pir-1}]}
serial:
  - {port: ${join(dir, 'ttyMISSING')}}
  - {port: ${pty.a}}
lora: {gwmp: {host: 127.0.0.1, port: ${udpPort}}}
nodes: [{id: pir-1, type: pir, zone: z-1}]
zones: [{id: z-1, name: Braja, sirens: [s-relay, s-cmd]}]
sirens:
  - {id: s-relay, driver: relay, port: ${pty.b}}
  - {id: s-cmd, driver: command, command: ${join(dir, 'no-such-siren')}}
`,
    );
    chmodSync(file, 0o640);
    report = await runDoctor(loadConfig(file), realProbes());
  });

  afterAll(async () => {
    await pty?.close();
    udp?.close();
    if (dir) {
      chmodSync(join(dir), 0o755);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const check = (name: string) => {
    const c = report.checks.find((x) => x.name === name);
    if (!c) throw new Error(`no check ${name} in:\n${formatReport(report)}`);
    return c;
  };

  it('fails overall and says so', () => {
    expect(report.ok).toBe(false);
    expect(report.counts.FAIL).toBeGreaterThanOrEqual(4);
    expect(formatReport(report)).toMatch(/\d+ OK, \d+ WARN, \d+ FAIL$/);
  });

  it('the missing serial port FAILs; the pty is OK; the relay pty is OK', () => {
    expect(check('serial[0]')).toMatchObject({ level: 'FAIL' });
    expect(check('serial[0]').detail).toContain('ttyMISSING does not exist');
    expect(check('serial[1]')).toMatchObject({ level: 'OK' });
    expect(check('siren s-relay')).toMatchObject({ level: 'OK' });
  });

  it('the UDP port held by another socket FAILs with the ss command', () => {
    const c = check('lora udp');
    expect(c.level).toBe('FAIL');
    expect(c.fix).toContain(`sudo ss -ulpn 'sport = :${udpPort}'`);
    expect(check('local broker').level).toBe('OK');
  });

  it('the unwritable storage dir FAILs', () => {
    const c = check('storage dir');
    expect(c.level).toBe('FAIL');
    expect(c.detail).toMatch(isRoot ? /is not a directory/ : /may not write/);
  });

  it('the world-readable secret WARNs, the missing siren program FAILs, the gateway is not running', () => {
    const secret = report.checks.find((c) => c.detail.includes('(commands.keys[0].secret_file)'));
    expect(secret).toMatchObject({ name: 'secret file', level: 'WARN' });
    expect(secret?.detail).toContain('every user may read it');
    expect(check('siren s-cmd')).toMatchObject({ level: 'FAIL' });
    expect(check('gateway')).toMatchObject({
      level: 'WARN',
      fix: expect.stringContaining('systemctl start siaga'),
    });
    expect(check('uplink').level).toBe('OK');
  });

  it('the command prints JSON and exits 1; an invalid config exits 78 with its errors', async () => {
    const res = await cli(['-c', file, 'doctor', '--json']);
    expect(res.exitCode).toBe(1);
    const parsed = JSON.parse(res.stdout) as DoctorReport;
    expect(parsed.ok).toBe(false);
    expect(parsed.checks.map((c) => c.name)).toContain('lora udp');

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'gateway: {id: "NOT VALID"}\n');
    const res2 = await cli(['-c', bad, 'doctor']);
    expect(res2.exitCode).toBe(78);
    expect(res2.stdout).toContain('FAIL');
    expect(res2.stdout).toContain('gateway.id');
    expect(res2.stdout).toContain('siaga config check');
  });
});
