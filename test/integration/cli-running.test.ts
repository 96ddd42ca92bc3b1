import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/gateway.js';
import { CLI, GatewayProcess, killAllGatewayProcesses } from '../helpers/gateway-process.js';

const run = promisify(execFile);

function yaml(dir: string, extraNode = ''): string {
  return `
gateway: {id: gw-cli, site: {name: Desa, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}}
storage: {path: ${join(dir, 'siaga.db')}}
nodes:
  - {id: pir-07, type: pir, zone: z-braja}
${extraNode}
zones: [{id: z-braja, name: Braja, sirens: [s-1]}]
sirens: [{id: s-1, driver: print}]
siren_policy: {self_test_s: 1}
`;
}

describe('the CLI against a running gateway (control socket)', () => {
  afterEach(() => killAllGatewayProcesses());

  it('status, siren test/silence/unsilence and tail talk to the running gateway', async () => {
    const dir = tmpDir();
    const gw = await GatewayProcess.start({ dir, yaml: yaml(dir) });
    const cli = (...args: string[]) => run('node', [CLI, '-c', gw.configFile, ...args]);

    const status = JSON.parse((await cli('status', '--json')).stdout);
    expect(status).toMatchObject({
      gateway: 'gw-cli',
      levels: { 'z-braja': 'NORMAL' },
      sirens: [{ id: 's-1', on: false }],
    });
    expect((await cli('status')).stdout).toMatch(/z-braja\s+NORMAL/);

    await cli('siren', 'test', 's-1', '--seconds', '1');
    await gw.waitForLog((l) => typeof l.raw === 'string' && /SIREN s-1 ON/.test(l.raw));

    expect((await cli('siren', 'silence', 'z-braja', '30')).stdout).toMatch(/^zone z-braja silenced until /);
    const silenced = JSON.parse((await cli('status', '--json')).stdout);
    expect(silenced.silences).toEqual([
      expect.objectContaining({ zone: 'z-braja', by: expect.stringMatching(/^cli/) }),
    ]);
    expect((await cli('siren', 'unsilence', 'z-braja')).stdout).toMatch(/may sound again/);

    const unknown = await cli('siren', 'test', 's-nope').catch((e: { code: number; stderr: string }) => e);
    // An unknown id is a usage error (64), the same for sirens and zones.
    expect(unknown).toMatchObject({ code: 64 });
    expect((unknown as { stderr: string }).stderr).toMatch(/s-nope/);

    // tail follows events as they happen: a siren test shows up in it.
    const tail = spawn('node', [CLI, '-c', gw.configFile, 'tail', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let seen = '';
    tail.stdout.on('data', (c: Buffer) => {
      seen += c.toString();
    });
    await new Promise((r) => setTimeout(r, 300));
    await cli('siren', 'test', 's-1', '--seconds', '1');
    const end = Date.now() + 10_000;
    while (!/"kind":"siren_on"/.test(seen) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    tail.kill('SIGINT');
    expect(seen).toMatch(/"kind":"event".*"kind":"siren_on"/);
  });

  it('R6: SIGHUP with a broken config keeps the old one running; a good one is applied', async () => {
    const dir = tmpDir();
    const gw = await GatewayProcess.start({ dir, yaml: yaml(dir) });
    writeFileSync(join(dir, 'good.yaml'), yaml(dir));
    writeFileSync(gw.configFile, yaml(dir, '  - {id: seis-03, type: seis, zone: z-nowhere}'));
    process.kill(gw.pid, 'SIGHUP');
    const refused = await gw.waitForLog((l) => l.msg === 'SIGHUP: config refused, the running config stays');
    expect(refused.problems).toEqual(['nodes[1].zone: unknown zone "z-nowhere"']);
    expect(gw.exitStatus).toBeUndefined();
    // The old config still runs: the control socket answers with one node.
    const still = JSON.parse(
      (await run('node', [CLI, '-c', join(dir, 'good.yaml'), 'status', '--json'])).stdout,
    );
    expect(still.nodes.total).toBe(1);

    writeFileSync(
      gw.configFile,
      `${yaml(dir, '  - {id: seis-03, type: seis, zone: z-braja}')}\nlog: {level: debug}\n`,
    );
    process.kill(gw.pid, 'SIGHUP');
    await gw.waitForLog((l) => l.msg === 'SIGHUP: config applied');
    const status = JSON.parse((await run('node', [CLI, '-c', gw.configFile, 'status', '--json'])).stdout);
    expect(status.nodes.total).toBe(2);
    // No siren was toggled by either reload.
    expect(gw.logs.some((l) => l.event === 'siren_on' || l.event === 'siren_off')).toBe(false);
  });
});
