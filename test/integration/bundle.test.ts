import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runUntilExit, writeGatewayConfig } from '../helpers/cli-exit.js';
import { tmpDir } from '../helpers/gateway.js';
import { CLI } from '../helpers/gateway-process.js';

/**
 * `siaga` as installed is the bundle (dist/bin/siaga.js and its chunks, scripts/bundle.mjs): what
 * it reads beside itself and what a technician sees when it fails must survive bundling.
 */

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
};

/** The JSON log line of a failed start: its error's stack is what a bug report carries. */
async function failedStartStack(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stack: string }> {
  const dir = tmpDir('siaga-bundle-');
  // The control socket in a directory that does not exist: a StartupError from src/gateway/startup.ts.
  const file = writeGatewayConfig(dir, `control: {socket: ${join(dir, 'missing', 'siaga.sock')}}`);
  const r = await runUntilExit(['-c', file, 'run', '--log-format', 'json'], { env });
  const line = r.stdout
    .split('\n')
    // The print siren writes plain lines to stdout too.
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; err?: { stack?: string } })
    .find((l) => l.msg === 'start-up failed');
  return { code: r.code, stack: line?.err?.stack ?? '' };
}

describe('the bundle is what npm installs and systemd runs', () => {
  it('npm bin points at the bundle that the tests spawn', () => {
    expect(new URL(`../../${pkg.bin.siaga}`, import.meta.url).pathname).toBe(CLI);
  });

  it('siaga --version from the bundle reads the package version (its chunks find package.json)', async () => {
    const r = await runUntilExit(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('a failed start names the bundle in its stack, and the TypeScript source with --enable-source-maps', async () => {
    const plain = await failedStartStack({ NODE_OPTIONS: '' });
    expect(plain.code).not.toBe(0);
    expect(plain.stack).toMatch(/dist\/bin\/[\w-]+\.js:\d+/);
    expect(plain.stack).not.toMatch(/src\/gateway\/startup\.ts/);

    const mapped = await failedStartStack({ NODE_OPTIONS: '--enable-source-maps' });
    expect(mapped.code).toBe(plain.code);
    expect(mapped.stack).toMatch(/src\/gateway\/startup\.ts:\d+/);
  }, 30_000);
});
