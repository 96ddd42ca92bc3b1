import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { langEnv, runCliSync } from '../helpers/cli-run.js';
import { CLI } from '../helpers/gateway-process.js';

/** `siaga init` and friends with stdin closed unless a test types answers into it. */
function siaga(args: string[], opts: { LANG?: string; input?: string } = {}) {
  return runCliSync(args, { ...opts, input: opts.input ?? '' });
}

/** A folder standing in for /dev/serial/by-id with two adapters plugged in. */
function serialDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'siaga-by-id-'));
  writeFileSync(join(dir, 'usb-FTDI_FT232R_A10K3XYZ-if00-port0'), '');
  writeFileSync(join(dir, 'usb-1a86_USB_Serial-if00-port0'), '');
  return dir;
}

const mode = (file: string) => statSync(file).mode & 0o777;

describe('siaga init', () => {
  it('writes a valid config from flags alone, with the secrets as files of mode 0600', () => {
    const dir = mkdtempSync(join(tmpdir(), 'siaga-init-'));
    const file = join(dir, 'etc', 'siaga.yaml');
    const pass = join(dir, 'given.pass');
    writeFileSync(pass, 'uplink-pw-123\n');
    const ports = serialDir();
    const r = siaga([
      'init',
      '--non-interactive',
      ...['--name', 'Braja Harjosari', '--code', '18.07.11.2005', '--lat', '-5.02', '--lon', '105.76'],
      ...['--centre', 'mqtts://telemetry.example.org:8883', '--password-file', pass],
      ...['--serial-dir', ports, '-o', file],
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`wrote ${file}`);
    expect(r.stdout).toContain(`siaga config check -c ${file}`);

    const check = siaga(['config', 'check', '-c', file]);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain('gateway gw-braja-harjosari at Braja Harjosari (18.07.11.2005, TNWK)');

    const yaml = readFileSync(file, 'utf8');
    expect(yaml).toContain('village_code: "18.07.11.2005"');
    const c = parse(yaml);
    expect(c.gateway.site).toMatchObject({ lat: -5.02, lon: 105.76, village_code: '18.07.11.2005' });
    expect(c.uplink).toMatchObject({
      url: 'mqtts://telemetry.example.org:8883',
      password_file: 'uplink.pass',
    });
    expect(c.serial.map((s: { port: string }) => s.port)).toEqual([
      join(ports, 'usb-1a86_USB_Serial-if00-port0'),
      join(ports, 'usb-FTDI_FT232R_A10K3XYZ-if00-port0'),
    ]);
    // Secrets only in their files, never in the config or on the screen.
    expect(yaml).not.toContain('uplink-pw-123');
    expect(r.stdout).not.toContain('uplink-pw-123');
    const upl = join(dir, 'etc', 'uplink.pass');
    const key = join(dir, 'etc', 'cmd-ops-1.key');
    expect(readFileSync(upl, 'utf8')).toBe('uplink-pw-123\n');
    expect(mode(upl)).toBe(0o600);
    expect(readFileSync(key, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(mode(key)).toBe(0o600);
  });

  it('asks each question (in Bahasa Indonesia), re-asks a wrong answer, and takes answers on stdin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'siaga-init-'));
    const file = join(dir, 'siaga.yaml');
    const answers = [
      'Labuhan Ratu VII', // name
      '1807', // code: wrong
      '18.07.11.2010', // code
      'south', // lat: wrong
      '-5.08', // lat
      '105.78', // lon
      '', // id: the default
      'mqtt://10.0.0.5:1883', // centre
      '', // username: the default (gateway id)
      'rahasia-uplink', // password
      'y', // first serial port
      'n', // second
      'Tepi hutan', // zone
      'seis-01', // node
      'seis', // type
    ];
    const child = spawn(process.execPath, [CLI, 'init', '--serial-dir', serialDir(), '-o', file], {
      env: langEnv('id_ID.UTF-8'),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // Written like a person typing, one answer after the other.
    for (const a of answers) child.stdin.write(`${a}\n`);
    child.stdin.end();
    const code = await new Promise<number | null>((res) => child.on('close', res));
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('Nama desa');
    expect(stderr).toContain('Kode desa Kemendagri');
    expect(stderr).toMatch(/Kode desa Kemendagri.*: must be a Kemendagri village code.*; coba lagi/);
    expect(stderr).toMatch(/Lintang.*: harus berupa angka; coba lagi/);
    expect(stderr).toContain('Id gateway [gw-labuhan-ratu-vii]');
    expect(stdout).toContain(`menulis ${file}`);

    const c = parse(readFileSync(file, 'utf8'));
    expect(c.gateway).toMatchObject({
      id: 'gw-labuhan-ratu-vii',
      site: { village_code: '18.07.11.2010', lat: -5.08 },
    });
    expect(c.uplink).toMatchObject({ url: 'mqtt://10.0.0.5:1883', username: 'gw-labuhan-ratu-vii' });
    expect(c.serial).toHaveLength(1);
    expect(c.nodes).toEqual([{ id: 'seis-01', type: 'seis', zone: 'z-tepi-hutan' }]);
    expect(readFileSync(join(dir, 'uplink.pass'), 'utf8')).toBe('rahasia-uplink\n');
    expect(siaga(['config', 'check', '-c', file]).code).toBe(0);
  });

  it('scripted without an answer it needs: exit 64 naming the flag, nothing written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'siaga-init-'));
    const file = join(dir, 'siaga.yaml');
    const r = siaga([
      'init',
      '--non-interactive',
      '--name',
      'Desa',
      '--lat',
      '-5',
      '--lon',
      '105',
      '-o',
      file,
    ]);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('pass --code');
    expect(existsSync(file)).toBe(false);

    const bad = siaga([
      'init',
      '--non-interactive',
      ...['--name', 'Desa', '--code', '18.07.11.2005', '--lat', '-95', '--lon', '105', '-o', file],
    ]);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/--lat: /);
    expect(existsSync(file)).toBe(false);
  });

  it('stops with exit 64 when stdin ends before every question is answered', () => {
    const dir = mkdtempSync(join(tmpdir(), 'siaga-init-'));
    const file = join(dir, 'siaga.yaml');
    const r = siaga(['init', '-o', file], { input: 'Desa\n18.07.11.2005\n' });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('input ended before every question was answered');
    expect(existsSync(file)).toBe(false);
  });

  it('never overwrites an existing config without --force', () => {
    const dir = mkdtempSync(join(tmpdir(), 'siaga-init-'));
    mkdirSync(join(dir, 'x'));
    const file = join(dir, 'x', 'siaga.yaml');
    writeFileSync(file, 'mine: true\n');
    const args = ['init', '--non-interactive', '--name', 'Desa', '--code', '18.07.11.2005'];
    const r = siaga([...args, '--lat', '-5', '--lon', '105', '--serial-dir', dir, '-o', file]);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--force');
    expect(readFileSync(file, 'utf8')).toBe('mine: true\n');
    const forced = siaga([
      ...args,
      '--lat',
      '-5',
      '--lon',
      '105',
      '--serial',
      '/dev/ttyUSB0',
      '-o',
      file,
      '--force',
    ]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(parse(readFileSync(file, 'utf8')).serial).toEqual([{ port: '/dev/ttyUSB0', baud: 115200 }]);
  });
});
