import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UNIT_ENV, UNIT_NODE_FLAGS } from '../../src/gateway/heap.js';
import { must } from '../helpers/must.js';

const root = join(import.meta.dirname, '..', '..');
const script = join(root, 'scripts', 'install-pi.sh');
const unitFile = join(root, 'scripts', 'siaga.service');
/** Stands in for /run/systemd/system, which exists only where systemd is PID 1. */
const withSystemd = { ...process.env, SIAGA_SYSTEMD_RUN_DIR: mkdtempSync(join(tmpdir(), 'siaga-systemd-')) };
const withoutSystemd = { ...process.env, SIAGA_SYSTEMD_RUN_DIR: join(tmpdir(), 'siaga-no-systemd-here') };

/** `install-pi.sh --dry-run`, which must succeed; `o` is what it printed on stdout. */
function dryRun(env: NodeJS.ProcessEnv) {
  const r = spawnSync('bash', [script, '--dry-run'], { encoding: 'utf8', timeout: 60_000, env });
  expect(r.status, r.stderr).toBe(0);
  return { r, o: r.stdout };
}

/** systemd unit → section → key → values (a key may repeat). Comments and blank lines dropped. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(must(section[1], 'section name'), current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`not a unit line: ${line}`);
    const key = line.slice(0, eq);
    const list = current.get(key) ?? [];
    list.push(line.slice(eq + 1));
    current.set(key, list);
  }
  return sections;
}

describe('scripts/install-pi.sh', () => {
  it('passes bash -n', () => {
    const r = spawnSync('bash', ['-n', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('--dry-run exits 0, changes nothing, and names the user, data dir, unit and wrapper', () => {
    const { r, o } = dryRun(withSystemd);
    expect(r.stderr).not.toContain('systemd is not running');
    expect(o).toContain('dry run: nothing is changed');
    expect(o).toMatch(/user siaga/);
    expect(o).toMatch(/useradd .*siaga|user siaga exists/);
    expect(o).toContain('/var/lib/siaga');
    expect(o).toContain('install -d -m 0750 -o siaga -g siaga /var/lib/siaga');
    expect(o).toContain('install -d -m 0750 -o root -g siaga /etc/siaga');
    expect(o).toContain('/etc/systemd/system/siaga.service');
    expect(o).toContain('/usr/local/bin/siaga');
    expect(o).toContain('systemctl daemon-reload');
    expect(o).toContain('systemctl enable siaga.service');
    // build needs dev deps: ci, build, then prune
    const ci = o.indexOf(' ci ');
    const build = o.indexOf('run build');
    const prune = o.indexOf('prune --omit=dev');
    expect(ci).toBeGreaterThan(0);
    expect(build).toBeGreaterThan(ci);
    expect(prune).toBeGreaterThan(build);
    // never started without a passing config check
    expect(o).toMatch(/config check[\s\S]*only if that passes/);
    expect(o).toContain('Next steps');
    expect(o).not.toMatch(/curl|wget/);
  });

  it('without systemd (a container) says so first, finishes everything else and says how to run siaga', () => {
    const { r, o } = dryRun(withoutSystemd);
    expect(r.stderr).toMatch(
      /systemd is not running here .*siaga will be installed, but not enabled or started/,
    );
    // The steps that work without systemd still run: user, program, config, wrapper, unit file, config check.
    expect(o).toContain('install -d -m 0750 -o siaga -g siaga /var/lib/siaga');
    expect(o).toContain('mv /opt/siaga.new /opt/siaga');
    expect(o).toContain('/usr/local/bin/siaga');
    expect(o).toMatch(/config check -c \/etc\/siaga\/siaga\.yaml/);
    // systemctl is never called, so its own error cannot end the install.
    expect(o).not.toMatch(/would run: systemctl/);
    expect(o).toContain('would not start it: no systemd');
    expect(o).toContain('Next steps');
    expect(o).toContain('sudo -u siaga /usr/local/bin/siaga run -c /etc/siaga/siaga.yaml');
    expect(o).toMatch(/installed but not started as a service/);
  });

  it('without systemd, a real install completes: program, wrapper, unit and config in place, the check run', () => {
    // A scratch root and stand-ins for what needs root or the network (users, ownership, apt,
    // npm); systemctl fails as it does in a container, and records that it was called.
    const sandbox = mkdtempSync(join(tmpdir(), 'siaga-install-'));
    const fsRoot = join(sandbox, 'root');
    const bin = join(sandbox, 'bin');
    for (const d of ['etc/systemd/system', 'usr/local/bin', 'opt', 'var/lib', 'bin'])
      mkdirSync(join(d === 'bin' ? sandbox : fsRoot, d), { recursive: true });
    const stub = (name: string, body: string) => {
      writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    stub(
      'systemctl',
      `echo "$*" >> ${join(sandbox, 'systemctl-called')}; echo "System has not been booted with systemd as init system (PID 1). Can't operate." >&2; exit 1`,
    );
    stub('dpkg-query', "printf 'install ok installed'");
    stub('apt-get', 'exit 1');
    stub('id', '[ "$*" = -u ] && echo 0; exit 0');
    for (const n of ['useradd', 'usermod', 'groupadd', 'getent', 'chown']) stub(n, 'exit 0');
    stub('runuser', 'while [ "$1" != -- ]; do shift; done; shift; exec "$@"');
    // install without -o/-g, which need the user siaga.
    stub(
      'install',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's array expansion, not a JS template
      'a=(); while [ $# -gt 0 ]; do case "$1" in -o|-g) shift 2 ;; *) a+=("$1"); shift ;; esac; done; exec /usr/bin/install "${a[@]}"',
    );
    // npm: the already built dist/ and the shared node_modules instead of a download and a build.
    stub(
      'npm',
      `p="$2"; case "$*" in *"run build"*) cp -r ${join(root, 'dist')} "$p/dist" ;; *" ci "*) ln -s ${join(root, 'node_modules')} "$p/node_modules" ;; esac`,
    );
    const r = spawnSync('bash', [script], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...withoutSystemd, SIAGA_INSTALL_ROOT: fsRoot, PATH: `${bin}:${process.env.PATH}` },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(sandbox, 'systemctl-called'))).toBe(false);
    expect(r.stderr).toMatch(/systemd is not running here/);
    const wrapper = join(fsRoot, 'usr/local/bin/siaga');
    expect(statSync(wrapper).mode & 0o111).not.toBe(0);
    expect(existsSync(join(fsRoot, 'etc/systemd/system/siaga.service'))).toBe(true);
    expect(existsSync(join(fsRoot, 'etc/siaga/siaga.yaml'))).toBe(true);
    expect(existsSync(join(fsRoot, 'opt/siaga.new'))).toBe(false);
    // The config check really ran: the example config names secret files that are not there yet.
    expect(r.stdout).toContain('config check');
    expect(r.stderr).toMatch(/uplink\.password_file: cannot read/);
    expect(r.stderr).toContain('the config is not valid yet (fix it, then run siaga by hand as below)');
    expect(r.stdout).toContain('Next steps');
    expect(r.stdout).toContain(`${wrapper} run -c ${join(fsRoot, 'etc/siaga/siaga.yaml')}`);
    // The installed command works.
    const v = spawnSync(wrapper, ['--version'], { encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
  });

  it('refuses unknown options with exit 64', () => {
    expect(spawnSync('bash', [script, '--bogus'], { encoding: 'utf8' }).status).toBe(64);
  });

  it('downloads nothing itself (no curl/wget/pipes to sh)', () => {
    const text = readFileSync(script, 'utf8');
    expect(text).toMatch(/^set -euo pipefail$/m);
    const code = text
      .split('\n')
      .filter((l) => !l.trim().startsWith('#'))
      .join('\n');
    expect(code).not.toMatch(/\b(curl|wget)\b|\|\s*(ba)?sh\b/);
  });
});

describe('scripts/siaga.service', () => {
  const unit = parseUnit(readFileSync(unitFile, 'utf8'));
  const svc = must(unit.get('Service'), 'a [Service] section');
  const one = (k: string) => svc.get(k)?.join(' ');

  it('is a notify service with a watchdog, restarted always', () => {
    expect(one('Type')).toBe('notify');
    expect(one('NotifyAccess')).toBe('all');
    expect(one('WatchdogSec')).toBe('30');
    expect(one('Restart')).toBe('always');
    expect(one('RestartSec')).toBe('2');
    expect(one('KillSignal')).toBe('SIGTERM');
    expect(one('TimeoutStopSec')).toBe('15');
    expect(one('ExecStart')).toBe(
      `/usr/bin/node ${UNIT_NODE_FLAGS.join(' ')} /opt/siaga/dist/bin/siaga.js run -c /etc/siaga/siaga.yaml`,
    );
    // The memory settings the benches measure with (bench/child.ts) are the ones systemd uses.
    for (const [k, v] of Object.entries(UNIT_ENV)) expect(svc.get('Environment')).toContain(`${k}=${v}`);
    expect(unit.get('Unit')?.get('StartLimitIntervalSec')).toEqual(['0']);
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('runs as user siaga in dialout and gpio, sandboxed', () => {
    expect(one('User')).toBe('siaga');
    expect(one('Group')).toBe('siaga');
    expect(one('SupplementaryGroups')?.split(/\s+/).sort()).toEqual(['dialout', 'gpio']);
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('ReadWritePaths')).toBe('/var/lib/siaga');
    expect(one('ProtectHome')).toBe('yes');
    expect(one('PrivateTmp')).toBe('yes');
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('ProtectKernelTunables')).toBe('yes');
    expect(one('ProtectKernelModules')).toBe('yes');
    expect(one('RestrictAddressFamilies')?.split(/\s+/).sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_UNIX']);
    // V8's JIT needs W+X memory; PrivateDevices would hide the serial adapters.
    expect(svc.has('MemoryDenyWriteExecute')).toBe(false);
    expect(svc.has('PrivateDevices')).toBe(false);
  });

  it('every hardening line has a comment saying why', () => {
    const lines = readFileSync(unitFile, 'utf8').split('\n');
    const hardening =
      /^(ProtectSystem|ReadWritePaths|ProtectHome|PrivateTmp|NoNewPrivileges|ProtectKernelTunables|RestrictAddressFamilies|SystemCallFilter|CapabilityBoundingSet|UMask)=/;
    for (const [i, l] of lines.entries()) {
      if (!hardening.test(l)) continue;
      let j = i - 1;
      while (j >= 0 && /^[A-Za-z]+=/.test(lines[j] ?? '')) j--;
      expect(lines[j], `no comment above ${l}`).toMatch(/^#/);
    }
  });
});
