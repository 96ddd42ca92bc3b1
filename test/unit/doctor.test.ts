import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { checkListenPort, type PortCheck } from '../../src/doctor/ports.js';
import { configFailureReport, runDoctor } from '../../src/doctor/run.js';
import { checkSecretPermissions } from '../../src/doctor/secrets.js';
import { checkSerialPort } from '../../src/doctor/serial.js';
import { checkDatabase, checkDisk, checkStorageDir } from '../../src/doctor/storage.js';
import { checkClock, checkCommandSiren, checkGateway, checkGpioSirens } from '../../src/doctor/system.js';
import type { FileInfo, Probes } from '../../src/doctor/types.js';
import { checkUplink } from '../../src/doctor/uplink.js';
import { ConfigError } from '../../src/domain/index.js';

const CHAR: FileInfo = { kind: 'char', mode: 0o660, uid: 0, gid: 20 };
const DIR: FileInfo = { kind: 'dir', mode: 0o750, uid: 999, gid: 999 };

/** A fake machine: files by path, links by path, everything else configurable. */
function fakeProbes(
  over: Partial<Probes> & { files?: Record<string, FileInfo>; links?: Record<string, string> } = {},
): Probes {
  const files = over.files ?? {};
  const links = over.links ?? {};
  const resolve = (p: string) => links[p] ?? p;
  const base: Probes = {
    stat: (p) => files[resolve(p)],
    access: () => true,
    listDir: (dir) =>
      Object.keys(links)
        .filter((l) => l.startsWith(`${dir}/`))
        .map((l) => l.slice(dir.length + 1)),
    realpath: (p) => (files[resolve(p)] ? resolve(p) : undefined),
    freeMb: () => 10_000,
    groupName: (gid) => ({ 0: 'root', 20: 'dialout', 999: 'siaga' })[gid],
    userName: (uid) => ({ 0: 'root', 999: 'siaga' })[uid],
    user: () => ({ name: 'siaga', uid: 999 }),
    now: () => Date.parse('2026-12-01T00:00:00Z'),
    which: () => undefined,
    udpBind: async () => ({ state: 'free' }),
    tcpListen: async () => ({ state: 'free' }),
    tcpConnect: async () => ({ ok: true }),
    dbCheck: () => ({ quickCheck: ['ok'], schemaVersion: 1 }),
    ntpSynchronized: async () => 'yes',
    gatewayStatus: async () => ({ running: false, why: 'no answer' }),
  };
  const { files: _f, links: _l, ...rest } = over;
  return { ...base, ...rest };
}

const BY_ID = '/dev/serial/by-id/usb-FTDI_FT232R_A10K3XYZ-if00-port0';

describe('serial port check', () => {
  it('a missing port FAILs and lists the by-id names that exist', () => {
    const p = fakeProbes({ files: { '/dev/ttyUSB1': CHAR }, links: { [BY_ID]: '/dev/ttyUSB1' } });
    const r = checkSerialPort('serial[0]', '/dev/ttyUSB0', 'serial[0].port', p);
    expect(r.level).toBe('FAIL');
    expect(r.detail).toContain('/dev/ttyUSB0 does not exist');
    expect(r.fix).toContain(BY_ID);
    expect(r.fix).toContain('now /dev/ttyUSB1');
    expect(r.fix).toContain('serial[0].port');
  });

  it('a missing port with nothing plugged in says so', () => {
    const r = checkSerialPort('serial[0]', BY_ID, 'serial[0].port', fakeProbes());
    expect(r.level).toBe('FAIL');
    expect(r.fix).toMatch(/no USB serial adapter is plugged in/);
  });

  it('a /dev/ttyUSBn name WARNs and proposes its stable by-id name', () => {
    const p = fakeProbes({ files: { '/dev/ttyUSB1': CHAR }, links: { [BY_ID]: '/dev/ttyUSB1' } });
    const r = checkSerialPort('serial[0]', '/dev/ttyUSB1', 'serial[0].port', p);
    expect(r.level).toBe('WARN');
    expect(r.fix).toBe(`use its stable name in serial[0].port: \`port: ${BY_ID}\``);
  });

  it('a by-id name that resolves to a char device is OK', () => {
    const p = fakeProbes({ files: { '/dev/ttyUSB1': CHAR }, links: { [BY_ID]: '/dev/ttyUSB1' } });
    expect(checkSerialPort('serial[0]', BY_ID, 'serial[0].port', p).level).toBe('OK');
  });

  it('not a character device FAILs', () => {
    const p = fakeProbes({ files: { '/tmp/x': { kind: 'file', mode: 0o644, uid: 0, gid: 0 } } });
    expect(checkSerialPort('serial[0]', '/tmp/x', 'serial[0].port', p).level).toBe('FAIL');
  });

  it('no read/write permission FAILs with the dialout fix', () => {
    const p = fakeProbes({
      files: { [BY_ID]: CHAR },
      access: () => false,
      user: () => ({ name: 'pi', uid: 1000 }),
    });
    const r = checkSerialPort('siren s-1', BY_ID, 'sirens[0].port', p);
    expect(r.level).toBe('FAIL');
    expect(r.detail).toContain('crw-rw---- root:dialout');
    expect(r.fix).toContain('sudo usermod -aG dialout siaga');
    expect(r.fix).toContain('sudo usermod -aG dialout pi');
  });
});

describe('listen port check', () => {
  const lora: PortCheck = {
    name: 'lora udp',
    proto: 'udp',
    host: '127.0.0.1',
    port: 1700,
    ours: undefined,
    gatewayRunning: false,
    key: 'lora.gwmp.port',
    usual: 'a packet forwarder bridge',
  };

  it('free is OK', async () => {
    expect((await checkListenPort(lora, fakeProbes())).level).toBe('OK');
  });

  it('in use by another process FAILs with the ss command', async () => {
    const r = await checkListenPort(lora, fakeProbes({ udpBind: async () => ({ state: 'in_use' }) }));
    expect(r.level).toBe('FAIL');
    expect(r.fix).toContain("sudo ss -ulpn 'sport = :1700'");
  });

  it('in use by our running gateway is OK', async () => {
    const r = await checkListenPort(
      { ...lora, ours: 1700, gatewayRunning: true },
      fakeProbes({ udpBind: async () => ({ state: 'in_use' }) }),
    );
    expect(r.level).toBe('OK');
    expect(r.detail).toContain('running gateway');
  });

  it('in use while our gateway listens elsewhere FAILs', async () => {
    const r = await checkListenPort(
      { ...lora, ours: 1701, gatewayRunning: true },
      fakeProbes({ udpBind: async () => ({ state: 'in_use' }) }),
    );
    expect(r.level).toBe('FAIL');
  });

  it('tcp uses ss -tlpn', async () => {
    const r = await checkListenPort(
      { ...lora, proto: 'tcp', port: 1883, key: 'local_broker.port' },
      fakeProbes({ tcpListen: async () => ({ state: 'in_use' }) }),
    );
    expect(r.fix).toContain("sudo ss -tlpn 'sport = :1883'");
  });

  it('a host that is not ours FAILs', async () => {
    const r = await checkListenPort(
      { ...lora, host: '10.9.9.9' },
      fakeProbes({ udpBind: async () => ({ state: 'error', code: 'EADDRNOTAVAIL' }) }),
    );
    expect(r.level).toBe('FAIL');
    expect(r.fix).toContain('127.0.0.1');
  });
});

describe('storage checks', () => {
  it('disk: OK, WARN below 500 MB, FAIL below 50 MB', () => {
    const at = (mb: number) =>
      checkDisk('/var/lib/siaga/siaga.db', fakeProbes({ files: { '/var/lib/siaga': DIR }, freeMb: () => mb }))
        .level;
    expect(at(2000)).toBe('OK');
    expect(at(499)).toBe('WARN');
    expect(at(49)).toBe('FAIL');
  });

  it('disk is measured on the nearest existing parent', () => {
    const seen: string[] = [];
    checkDisk(
      '/var/lib/siaga/siaga.db',
      fakeProbes({
        files: { '/var': DIR },
        freeMb: (d) => {
          seen.push(d);
          return 100;
        },
      }),
    );
    expect(seen).toEqual(['/var']);
  });

  it('storage dir missing / not writable / outside /var/lib/siaga', () => {
    expect(checkStorageDir('/var/lib/siaga/siaga.db', fakeProbes()).fix).toBe(
      'sudo install -d -o siaga -g siaga -m 0750 /var/lib/siaga',
    );
    const ro = checkStorageDir(
      '/var/lib/siaga/siaga.db',
      fakeProbes({ files: { '/var/lib/siaga': DIR }, access: () => false }),
    );
    expect(ro.level).toBe('FAIL');
    expect(ro.fix).toContain('sudo chown siaga:siaga /var/lib/siaga');
    expect(checkStorageDir('/srv/x/siaga.db', fakeProbes({ files: { '/srv/x': DIR } })).level).toBe('WARN');
    expect(
      checkStorageDir('/var/lib/siaga/siaga.db', fakeProbes({ files: { '/var/lib/siaga': DIR } })).level,
    ).toBe('OK');
  });

  it('database: absent OK, damaged FAIL, newer schema FAIL', () => {
    const file: FileInfo = { kind: 'file', mode: 0o640, uid: 999, gid: 999 };
    const files = { '/var/lib/siaga/siaga.db': file };
    expect(checkDatabase('/var/lib/siaga/siaga.db', fakeProbes()).level).toBe('OK');
    expect(checkDatabase('/var/lib/siaga/siaga.db', fakeProbes({ files })).level).toBe('OK');
    const bad = checkDatabase(
      '/var/lib/siaga/siaga.db',
      fakeProbes({
        files,
        dbCheck: () => ({ quickCheck: ['row 3 missing from index readings_ts'], schemaVersion: 1 }),
      }),
    );
    expect(bad.level).toBe('FAIL');
    expect(bad.fix).toContain('.recover');
    const newer = checkDatabase(
      '/var/lib/siaga/siaga.db',
      fakeProbes({ files, dbCheck: () => ({ quickCheck: ['ok'], schemaVersion: 999 }) }),
    );
    expect(newer.level).toBe('FAIL');
  });
});

describe('clock check', () => {
  it('before min_valid_time FAILs', async () => {
    const r = await checkClock('2026-11-01', fakeProbes({ now: () => 0 }));
    expect(r.level).toBe('FAIL');
    expect(r.detail).toContain('1970');
  });

  it('NTP not synchronised WARNs', async () => {
    const r = await checkClock('2026-11-01', fakeProbes({ ntpSynchronized: async () => 'no' }));
    expect(r.level).toBe('WARN');
    expect(r.fix).toContain('timedatectl');
  });

  it('synchronised, or unknown without timedatectl, is OK', async () => {
    expect((await checkClock('2026-11-01', fakeProbes())).level).toBe('OK');
    expect(
      (await checkClock('2026-11-01', fakeProbes({ ntpSynchronized: async () => undefined }))).level,
    ).toBe('OK');
  });
});

describe('secret files', () => {
  const f = (mode: number, gid = 999): FileInfo => ({ kind: 'file', mode, uid: 0, gid });

  it('world-readable WARNs with chmod 640 and chown root:siaga', () => {
    const [r] = checkSecretPermissions(
      [{ key: 'uplink.password_file', path: '/etc/siaga/uplink.pass' }],
      fakeProbes({ files: { '/etc/siaga/uplink.pass': f(0o644) } }),
    );
    expect(r?.level).toBe('WARN');
    expect(r?.detail).toContain('every user may read it');
    expect(r?.fix).toBe(
      'sudo chown root:siaga /etc/siaga/uplink.pass && sudo chmod 640 /etc/siaga/uplink.pass',
    );
  });

  it('0640 root:siaga is OK; group-readable by another group WARNs', () => {
    const files = { '/a': f(0o640), '/b': f(0o640, 20) };
    const p = fakeProbes({ files });
    expect(checkSecretPermissions([{ key: 'a', path: '/a' }], p)[0]?.level).toBe('OK');
    expect(checkSecretPermissions([{ key: 'b', path: '/b' }], p)[0]?.level).toBe('WARN');
  });
});

describe('uplink', () => {
  const uplink = { url: 'mqtts://telemetry.example.org:8883', ca_file: '/etc/siaga/ca.pem' } as never;

  it('unreachable FAILs with a fix; a connect goes to host:port with 5 s', async () => {
    const calls: unknown[] = [];
    const rs = await checkUplink(
      uplink,
      '/etc/siaga',
      fakeProbes({
        files: { '/etc/siaga/ca.pem': { kind: 'file', mode: 0o644, uid: 0, gid: 0 } },
        tcpConnect: async (...a) => {
          calls.push(a);
          return { ok: false, error: 'ECONNREFUSED' };
        },
      }),
    );
    expect(calls).toEqual([['telemetry.example.org', 8883, 5000]]);
    expect(rs[0]?.level).toBe('FAIL');
    expect(rs[0]?.fix).toContain('nc -vz');
    expect(rs[1]).toMatchObject({ name: 'uplink tls', level: 'OK' });
  });

  it('an unreadable CA file FAILs', async () => {
    const rs = await checkUplink(
      uplink,
      '/etc/siaga',
      fakeProbes({ files: { '/etc/siaga/ca.pem': DIR }, access: () => false }),
    );
    expect(rs.find((r) => r.name === 'uplink tls')?.level).toBe('FAIL');
  });
});

describe('sirens and gateway', () => {
  it('gpio sirens without gpioset FAIL with apt install gpiod', () => {
    const rs = checkGpioSirens(
      [{ siren: { id: 's-1', driver: 'gpio', chip: 'gpiochip0', line: 17, active_low: false }, index: 0 }],
      fakeProbes({ files: { '/dev/gpiochip0': CHAR } }),
    );
    expect(rs[0]).toMatchObject({ level: 'FAIL', fix: 'sudo apt install gpiod' });
    expect(rs[1]?.level).toBe('OK');
  });

  it('command siren: missing or not executable FAILs', () => {
    const s = {
      id: 's-t',
      driver: 'command' as const,
      command: '/usr/local/bin/siren',
      args: [],
      timeout_ms: 5000,
    };
    expect(checkCommandSiren(s, 1, fakeProbes()).level).toBe('FAIL');
    const file: FileInfo = { kind: 'file', mode: 0o644, uid: 0, gid: 0 };
    const r = checkCommandSiren(
      s,
      1,
      fakeProbes({ files: { '/usr/local/bin/siren': file }, access: () => false }),
    );
    expect(r.fix).toBe('sudo chmod 755 /usr/local/bin/siren');
    expect(checkCommandSiren(s, 1, fakeProbes({ files: { '/usr/local/bin/siren': file } })).level).toBe('OK');
  });

  it('gateway not running WARNs with systemctl start', () => {
    const r = checkGateway({ running: false, why: 'no answer' }, '/var/lib/siaga/siaga.sock');
    expect(r).toMatchObject({ level: 'WARN' });
    expect(r.fix).toContain('sudo systemctl start siaga');
    expect(checkGateway({ running: true, version: '0.1.0', uptimeS: 7200 }, '/x').level).toBe('OK');
  });
});

describe('runDoctor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'siaga-doctor-unit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const yaml = (extra: string) => `
gateway: {id: gw-1, site: {name: Braja, village_code: "18.07.11.2005", lat: -5, lon: 105}}
storage: {path: /var/lib/siaga/siaga.db}
serial: [{port: /dev/ttyUSB0}]
lora: {gwmp: {port: 1700}}
nodes: [{id: pir-1, type: pir, zone: z-1}]
zones: [{id: z-1, name: Z, sirens: [s-1]}]
sirens: [{id: s-1, driver: relay, port: /dev/ttyUSB0}]
${extra}`;

  it('an invalid config gives one FAIL with every problem and exit 78', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, yaml('nope: 1'));
    let err: unknown;
    try {
      loadConfig(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.exitCode).toBe(78);
    const r = configFailureReport(e, file, 'siaga');
    expect(r.ok).toBe(false);
    expect(r.checks).toHaveLength(1);
    expect(r.checks[0]?.detail).toContain('nope');
  });

  it('runs every check; a port held by our running gateway is OK, and a relay on the serial port is checked once', async () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, yaml(''));
    const p = fakeProbes({
      files: {
        '/dev/ttyUSB0': CHAR,
        '/var/lib/siaga': DIR,
        [file]: { kind: 'file', mode: 0o640, uid: 0, gid: 999 },
      },
      udpBind: async () => ({ state: 'in_use' }),
      gatewayStatus: async () => ({ running: true, loraPort: 1700, version: '0.1.0', uptimeS: 5 }),
    });
    const r = await runDoctor(loadConfig(file), p);
    const byName = Object.fromEntries(r.checks.map((c) => [c.name, c.level]));
    expect(byName).toMatchObject({
      config: 'OK',
      'serial[0]': 'WARN',
      'siren s-1': 'WARN',
      'lora udp': 'OK',
      'storage dir': 'OK',
      disk: 'OK',
      database: 'OK',
      clock: 'OK',
      uplink: 'OK',
      'secret files': 'OK',
      gateway: 'OK',
    });
    expect(r.ok).toBe(true);
    expect(r.counts).toEqual({ OK: r.checks.length - 2, WARN: 2, FAIL: 0 });
  });
});
