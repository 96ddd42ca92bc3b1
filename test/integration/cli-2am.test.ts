import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli-run.js';
import { tmpDir } from '../helpers/gateway.js';
import { GatewayProcess, killAllGatewayProcesses } from '../helpers/gateway-process.js';
import { must } from '../helpers/must.js';

/** `siaga -c <config> …` as a technician runs it at 2 a.m. */
const siaga = (config: string, ...args: string[]) => runCli(['-c', config, ...args]);

/** A siren whose program fails the way a dead relay board does: stderr and exit 3. */
function brokenSirenScript(dir: string): string {
  const path = join(dir, 'broken-siren.sh');
  writeFileSync(path, '#!/bin/sh\necho "relay board not found" >&2\nexit 3\n');
  chmodSync(path, 0o755);
  return path;
}

function yaml(dir: string): string {
  return `
gateway: {id: gw-2am, site: {name: Desa Braja, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}}
storage: {path: ${join(dir, 'siaga.db')}, retention_days: 30}
nodes:
  - {id: pir-07, type: pir, zone: z-braja}
zones: [{id: z-braja, name: Braja, sirens: [s-1, s-bad]}]
sirens:
  - {id: s-1, driver: print}
  - {id: s-bad, driver: command, command: ${brokenSirenScript(dir)}}
siren_policy: {self_test_s: 1}
local_broker: {enabled: false}
`;
}

describe('the CLI at 2 a.m. (spawned siaga against a spawned siaga run)', () => {
  afterEach(() => killAllGatewayProcesses());

  it('a config typo refused by SIGHUP does not lock the technician out: siren off, status, nodes still work', async () => {
    const dir = tmpDir();
    const gw = await GatewayProcess.start({ dir, yaml: yaml(dir) });
    const file = gw.configFile;
    writeFileSync(file, readFileSync(file, 'utf8').replace('retention_days', 'retension_days'));
    process.kill(gw.pid, 'SIGHUP');
    await gw.waitForLog((l) => l.msg === 'SIGHUP: config refused, the running config stays');

    const off = await siaga(file, 'siren', 'off', 's-1');
    expect(off).toMatchObject({ code: 0, stdout: 'siren s-1 is off\n' });
    expect(off.stderr).toMatch(
      /warning: config .* is invalid \(storage\.retension_days: .*did you mean "retention_days"/,
    );
    expect(off.stderr).toMatch(/last good config the gateway saved at \d{4}-\d\d-\d\d \d\d:\d\d WIB/);
    await gw.waitForLog((l) => typeof l.raw === 'string' && /siren s-1 off/.test(l.raw));

    const status = await siaga(file, 'status', '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, gateway: 'gw-2am' });

    const silence = await siaga(file, 'siren', 'silence', 'z-braja', '30');
    expect(silence.code).toBe(0);
    const nodes = await siaga(file, 'nodes');
    expect(nodes.code).toBe(0);
    expect(nodes.stdout).toMatch(/pir-07\s+z-braja/);
    // Ids are still checked, against the config the gateway runs.
    expect((await siaga(file, 'siren', 'off', 's-nope')).code).toBe(64);

    // Without a usable file at all, --socket still reaches the gateway.
    const other = join(dir, 'elsewhere.yaml');
    writeFileSync(other, 'gateway: [');
    const bySocket = await siaga(other, '--socket', join(dir, 'siaga.sock'), 'siren', 'off', 's-1');
    expect(bySocket).toMatchObject({ code: 0, stdout: 'siren s-1 is off\n' });

    // An accepted reload updates the saved config: after the next typo the CLI knows the new node.
    const good = readFileSync(file, 'utf8')
      .replace('retension_days', 'retention_days')
      .replace('nodes:\n', 'nodes:\n  - {id: seis-03, type: seis, zone: z-braja}\n');
    writeFileSync(file, good);
    process.kill(gw.pid, 'SIGHUP');
    await gw.waitForLog((l) => l.msg === 'SIGHUP: config applied');
    writeFileSync(file, good.replace('retention_days', 'retension_days'));
    const rows = JSON.parse((await siaga(file, 'nodes', '--json')).stdout) as { node: string }[];
    expect(rows.map((r) => r.node)).toEqual(['seis-03', 'pir-07']);

    // A broken file and no gateway behind it: the config is the problem, exit 78 as before.
    const lone = join(tmpDir(), 'siaga.yaml');
    writeFileSync(lone, 'gateway: [');
    const refused = await siaga(lone, 'status');
    expect(refused.code).toBe(78);
    expect(refused.stderr).toMatch(/^siaga: config .* has 1 problem\(s\); fix them/);
  }, 90_000);

  it('siren test waits for ON, the seconds and OFF, says PASS/FAIL per step and exits 1 on a fault', async () => {
    const dir = tmpDir();
    const gw = await GatewayProcess.start({ dir, yaml: yaml(dir) });
    const file = gw.configFile;

    const good = await siaga(file, 'siren', 'test', 's-1', '--seconds', '2');
    // The output before the exit code: a failure shows which step failed and why.
    expect(good.stdout.trim().split('\n')).toEqual([
      'PASS: siren s-1 switched ON.',
      'PASS: siren s-1 sounded for 2 s.',
      'PASS: siren s-1 switched OFF.',
      'PASS: siren s-1 passed its check.',
      'siren s-1 works.',
    ]);
    expect(good.code).toBe(0);
    // The OFF was sent before the command returned, not left for later.
    expect(gw.logs.some((l) => typeof l.raw === 'string' && /siren s-1 off/.test(l.raw))).toBe(true);

    const bad = await siaga(file, 'siren', 'test', 's-bad', '--seconds', '1');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(
      /^FAIL: siren s-bad did not switch ON: .*exited with code 3: relay board not found\.$/m,
    );
    expect(bad.stdout).toMatch(/^siren s-bad is FAULTY; /m);
    expect(bad.stdout).not.toMatch(/[{}]/);
  }, 90_000);

  it('silence refuses more than the maximum and prints the end in WIB (ISO in --json)', async () => {
    const dir = tmpDir();
    const gw = await GatewayProcess.start({ dir, yaml: yaml(dir) });
    const file = gw.configFile;

    const tooLong = await siaga(file, 'siren', 'silence', 'z-braja', '999');
    expect(tooLong.code).toBe(64);
    expect(tooLong.stderr).toBe(
      'siaga: a zone can be silenced for at most 240 minutes; run again with 240 or less\n',
    );
    const st = JSON.parse((await siaga(file, 'status', '--json')).stdout);
    expect(st.silences).toEqual([]);

    const before = Date.now();
    const ok = await siaga(file, 'siren', 'silence', 'z-braja', '30');
    expect(ok.code).toBe(0);
    const m = /^zone z-braja silenced until (\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d) WIB\n$/.exec(ok.stdout);
    // WIB is UTC+7: the printed wall time, read back as UTC+7, is 30 minutes from now.
    const [y, mo, d, h, mi] = must(m, `the silenced-until time in ${JSON.stringify(ok.stdout)}`)
      .slice(1)
      .map(Number) as [number, number, number, number, number];
    const printed = Date.UTC(y, mo - 1, d, h - 7, mi);
    expect(Math.abs(printed - (before + 30 * 60_000))).toBeLessThan(5 * 60_000);

    const js = JSON.parse((await siaga(file, 'siren', 'silence', 'z-braja', '20', '--json')).stdout);
    expect(js.until).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  }, 90_000);

  it('every command with a bad argument says one sentence, no stack, exit 64', async () => {
    const dir = tmpDir();
    const gw = await GatewayProcess.start({ dir, yaml: yaml(dir) });
    const file = gw.configFile;
    const fakeDev = join(dir, 'ttyUSB9');
    const plain = join(dir, 'plain.txt');
    writeFileSync(plain, '');
    const cases: [string[], RegExp][] = [
      [['readings', '--type', 'elephant'], /unknown type "elephant"/],
      [['readings', '--node', 'nope'], /unknown node "nope"; this gateway has: pir-07/],
      [['readings', '--limit', 'lots'], /--limit/],
      [['readings', '--since', 'yesterdayish'], /is not a time/],
      [['tail', '--type', 'elephant'], /unknown type "elephant"/],
      [['tail', '--node', 'nope'], /unknown node "nope"/],
      [['siren', 'test', 's-nope'], /unknown siren "s-nope"; this gateway has: s-1, s-bad/],
      [['siren', 'test', 's-1', '--seconds', '99'], /--seconds/],
      [['siren', 'off', 's-nope'], /unknown siren "s-nope"/],
      [['siren', 'silence', 'z-nope', '10'], /unknown zone "z-nope"; this gateway has: z-braja/],
      [['siren', 'silence', 'z-braja', 'abc'], /minutes/],
      [['siren', 'unsilence', 'z-nope'], /unknown zone "z-nope"/],
      [['export', '--from', '7d', '-o', join(dir, 'no', 'such', 'dir', 'x.csv')], /cannot write .*x\.csv/],
      [['export', '--from', 'soon'], /is not a time/],
      [['simulate', '--port', fakeDev, '--duration', '1'], /cannot open .*ttyUSB9/],
      [['simulate', '--port', plain, '--duration', '1'], /is not a serial device/],
      [['simulate', '--scenario', 'stampede'], /unknown scenario "stampede"/],
      [['status', '--bogus'], /unknown option '--bogus'; see siaga --help/],
      [['nodes', 'extra'], /too many arguments/],
      [['doctor', '--bogus'], /unknown option/],
      [['siren', 'test'], /missing required argument 'siren'/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    for (const [args, why] of cases) {
      const r = await siaga(file, ...args);
      const label = args.join(' ');
      expect({ label, code: r.code }).toEqual({ label, code: 64 });
      expect(r.stderr, label).toMatch(why);
      expect(r.stderr.trim().split('\n'), label).toHaveLength(1);
      expect(r.stderr, label).not.toMatch(/\n\s+at /);
    }
    // The refused --port left nothing behind that could shadow a real adapter later.
    expect(existsSync(fakeDev)).toBe(false);
  }, 180_000);

  it('nodes with the gateway stopped says the states are last known, not live', async () => {
    const dir = tmpDir();
    const gw = await GatewayProcess.start({ dir, yaml: yaml(dir) });
    const file = gw.configFile;
    expect((await siaga(file, 'nodes')).stdout).not.toMatch(/last known/);
    await gw.stop();
    const r = await siaga(file, 'nodes');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/gateway is not running/);
    expect(r.stdout).toMatch(/pir-07 .*\(last known, gateway not running\)/);
    const js = JSON.parse((await siaga(file, 'nodes', '--json')).stdout);
    expect(js[0]).toMatchObject({ node: 'pir-07', last_known: true });
  }, 90_000);
});
