import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { loadConfigIsolated, prefetchConfig } from '../../src/config/load-isolated.js';
import { ConfigError } from '../../src/domain/index.js';
import { gatewayYaml, writeGatewayConfig } from '../helpers/cli-exit.js';
import { runCliSync } from '../helpers/cli-run.js';
import { tmpDir } from '../helpers/gateway.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { waitFor } from '../helpers/uplink-centre.js';

/**
 * `siaga run` checks its config file in a process of its own (src/config/load-isolated.ts and
 * the bundle's dist/bin/config-loader.js), so the gateway never loads the YAML parser and zod.
 * What the technician sees must not change, and the gateway must start whatever befalls that
 * process.
 */

const REPO = new URL('../..', import.meta.url).pathname;
const LOADER = join(REPO, 'dist', 'bin', 'config-loader.js');
const threeProblems = join(import.meta.dirname, '..', 'fixtures', 'config-three-problems.yaml');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function problemLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('  '));
}

describe('the config checked in its own process', () => {
  it('gives the gateway the same config as checking it in-process, secrets and paths resolved', async () => {
    const dir = tmpDir('siaga-loader-');
    writeFileSync(join(dir, 'ops.key'), 'rahasia-ops-satu-0123\n');
    const file = writeGatewayConfig(dir, 'commands: {keys: [{id: ops-1, secret_file: ops.key}]}');
    const fellBack: string[] = [];
    const config = await loadConfigIsolated(file, { loader: LOADER, onFallback: (w) => fellBack.push(w) });
    expect(fellBack).toEqual([]);
    expect(config).toEqual(loadConfig(file).config);
    expect(config.commands.keys[0]?.secret).toBe('rahasia-ops-satu-0123');
    expect(config.storage.path).toBe(join(dir, 'siaga.db'));
  });

  it('refuses a broken file with every problem and its line and column, as in-process', async () => {
    const err = await loadConfigIsolated(threeProblems, { loader: LOADER }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    let inProcess: unknown;
    try {
      loadConfig(threeProblems);
    } catch (e) {
      inProcess = e;
    }
    expect((err as ConfigError).issues).toEqual((inProcess as ConfigError).issues);
    expect((err as ConfigError).issues.map((i) => i.line)).toEqual([3, 5, 9]);
    expect((err as ConfigError).file).toBe(threeProblems);
  });

  it('a loader started early for another file is stopped, and the file asked for is the one checked', async () => {
    const dir = tmpDir('siaga-loader-');
    const pidFile = join(dir, 'early.pid');
    const early = join(dir, 'early.mjs');
    writeFileSync(
      early,
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(pidFile)}, String(process.pid));\nsetInterval(() => {}, 1000);\n`,
    );
    prefetchConfig(join(dir, 'other.yaml'), { loader: early });
    await waitFor(() => existsSync(pidFile), 5_000, 'the early loader');
    const file = writeGatewayConfig(dir, '');
    const config = await loadConfigIsolated(file, { loader: LOADER });
    expect(config).toEqual(loadConfig(file).config);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => !alive(pid), 5_000, 'the early loader stopped');
  });

  it('the loader starts without NODE_EXTRA_CA_CERTS and the unit’s mmap threshold, and with the rest', async () => {
    const dir = tmpDir('siaga-loader-');
    const telling = join(dir, 'env.mjs');
    writeFileSync(
      telling,
      'const e = process.env;\nconst seen = [e.NODE_EXTRA_CA_CERTS, e.MALLOC_MMAP_THRESHOLD_, e.SIAGA_LOADER_PROBE];\nprocess.send({ ok: false, message: seen.map(String).join("|") }, () => process.disconnect());\n',
    );
    const names = ['NODE_EXTRA_CA_CERTS', 'MALLOC_MMAP_THRESHOLD_', 'SIAGA_LOADER_PROBE'] as const;
    const before = names.map((k) => process.env[k]);
    process.env.NODE_EXTRA_CA_CERTS = join(dir, 'centre-ca.pem');
    process.env.MALLOC_MMAP_THRESHOLD_ = '16384';
    process.env.SIAGA_LOADER_PROBE = 'kept';
    try {
      await expect(loadConfigIsolated(join(dir, 'siaga.yaml'), { loader: telling })).rejects.toThrow(
        'undefined|undefined|kept',
      );
    } finally {
      names.forEach((k, n) => {
        const v = before[n];
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      });
    }
  });

  it('a missing file is the same one-line problem as before', async () => {
    const file = join(tmpDir('siaga-loader-'), 'nope.yaml');
    await expect(loadConfigIsolated(file, { loader: LOADER })).rejects.toThrow(
      `${file}: not found; pass -c <file> or set SIAGA_CONFIG`,
    );
  });

  it('siaga run prints the same problems as siaga config check and exits 78', () => {
    const run = runCliSync(['-c', threeProblems, 'run']);
    const check = runCliSync(['config', 'check', '-c', threeProblems]);
    expect(run.code).toBe(78);
    expect(problemLines(run.stderr)).toHaveLength(3);
    expect(problemLines(run.stderr)).toEqual(problemLines(check.stderr));
  });

  it('started by hand, the loader says who starts it and exits 2, printing no config', () => {
    const file = writeGatewayConfig(tmpDir('siaga-loader-'));
    const r = spawnSync(process.execPath, [LOADER, file], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('siaga: config-loader is started by `siaga run`, not by hand\n');
  });
});

describe('when the loader cannot answer, the gateway checks the file itself and starts', () => {
  const file = () => writeGatewayConfig(tmpDir('siaga-loader-'));

  async function fallback(loader: string, timeoutMs?: number) {
    const why: string[] = [];
    const f = file();
    const config = await loadConfigIsolated(f, {
      loader,
      onFallback: (w) => why.push(w),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    expect(config).toEqual(loadConfig(f).config);
    return why;
  }

  it('no loader beside the gateway (run from the sources)', async () => {
    const missing = join(tmpDir('siaga-loader-'), 'config-loader.js');
    expect(await fallback(missing)).toEqual([`no ${missing}`]);
  });

  it('a loader that dies without an answer', async () => {
    const dying = join(tmpDir('siaga-loader-'), 'dying.mjs');
    writeFileSync(dying, 'process.exit(3);\n');
    expect(await fallback(dying)).toEqual(['the loader ended without an answer (exit 3)']);
  });

  it('a loader that never answers is killed after the time allowed', async () => {
    const stuck = join(tmpDir('siaga-loader-'), 'stuck.mjs');
    writeFileSync(stuck, 'setInterval(() => {}, 1000);\n');
    expect(await fallback(stuck, 500)).toEqual(['the loader gave no answer in 500 ms']);
  });

  it('siaga run says so on stderr and still gets ready', async () => {
    // A damaged install: the bundle (and what it reads beside it) without its loader.
    const root = tmpDir('siaga-install-');
    cpSync(join(REPO, 'dist', 'bin'), join(root, 'dist', 'bin'), { recursive: true });
    rmSync(join(root, 'dist', 'bin', 'config-loader.js'));
    cpSync(join(REPO, 'package.json'), join(root, 'package.json'));
    symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
    const dir = tmpDir('siaga-loader-');
    const gw = await GatewayProcess.start({
      dir,
      yaml: gatewayYaml(dir),
      cli: join(root, 'dist', 'bin', 'siaga.js'),
    });
    try {
      expect(gw.stderr).toContain(
        `siaga: the config is checked in the gateway process itself (no ${join(root, 'dist', 'bin', 'config-loader.js')}); it starts`,
      );
    } finally {
      await gw.stop();
    }
  }, 30_000);
});
