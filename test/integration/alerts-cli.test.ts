import { execFile } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { IncidentView } from '../../src/alerts/view.js';
import { encodeSg1 } from '../../src/codecs/sg1.js';
import { tempSpool } from '../fixtures/sms/gammu-rig.js';
import { langEnv } from '../helpers/cli-run.js';
import { tmpDir } from '../helpers/gateway.js';
import { CLI, GatewayProcess, killAllGatewayProcesses } from '../helpers/gateway-process.js';
import { createPtyPair, type PtyPair, socatAvailable } from '../helpers/socat.js';
import { until, untilAsync } from '../helpers/wait.js';

const run = promisify(execFile);

/**
 * `siaga alerts` as a technician uses it over SSH against a running gateway: the incident a panic
 * button opened, who was told, acknowledging by code, a test message, a received SMS handed in by
 * gammu-smsd's RunOnReceive hook. The SMS side is gammu-smsd's real spool (no daemon needed to see
 * what siaga hands over).
 */
describe.skipIf(!socatAvailable())('siaga alerts against a running gateway', () => {
  let pty: PtyPair | undefined;
  afterEach(async () => {
    await killAllGatewayProcesses();
    await pty?.close();
  });

  it('lists the incident, acknowledges by code and by a received SMS, sends a test, and says no to a bad code', async () => {
    const dir = tmpDir();
    const spool = tempSpool();
    pty = await createPtyPair(dir, { names: ['ttyGW', 'ttyNODES'] });
    const gw = await GatewayProcess.start({
      dir,
      yaml: `
gateway: {id: gw-cli, site: {name: Desa Braja, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}}
storage: {path: ${join(dir, 'siaga.db')}}
serial: [{port: ${pty.a}}]
nodes: [{id: btn-pos1, type: btn, zone: z-braja}]
zones: [{id: z-braja, name: Dsn Braja, sirens: [s-1], center: [-5.02, 105.76]}]
sirens: [{id: s-1, driver: print}]
alerts:
  enabled: true
  sms: {driver: gammu-smsd, spool: ${spool}}
  contacts:
    - {id: ranger-1, name: Darto, phone: "+6281234567890", roles: [ranger]}
    - {id: kades, name: Kepala Desa, phone: "+6281298765432", lang: en, roles: [village]}
  policies: [{zone: "*", steps: [{after_min: 0, notify: ["role:ranger"], min_level: SIAGA}]}]
  cap: {dir: ${join(dir, 'cap')}}
`,
    });
    const env = langEnv('C.UTF-8');
    const cli = (...args: string[]) => run('node', [CLI, '-c', gw.configFile, ...args], { env });
    const fail = (...args: string[]) =>
      cli(...args).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );

    appendFileSync(pty.b, `${encodeSg1({ node: 'btn-pos1', seq: 1, type: 'btn', v: { p: 1 } })}\r\n`);
    const list = async () =>
      JSON.parse((await cli('alerts', '--json')).stdout) as { incidents: IncidentView[] };
    const inc = await untilAsync('the incident', async () => (await list()).incidents[0], 30_000);
    expect(inc).toMatchObject({ zone: 'z-braja', level: 'AWAS', state: 'open' });
    // The ranger's SMS is in gammu-smsd's outbox, AWAS first (priority A).
    const outbox = () => readdirSync(join(spool, 'outbox'));
    await until('SMS in outbox', () => outbox().length === 1);
    expect(outbox()[0]).toMatch(/^OUTA.*_\+6281234567890_/);

    const human = (await cli('alerts')).stdout;
    expect(human).toContain(`${inc.code}  z-braja (Dsn Braja)  AWAS  OPEN, not acknowledged`);
    expect(human).toMatch(/sms\s+ranger-1\s+alert\s+queued/);
    expect(human).toMatch(/cap\s+\S+@siaga\.local\s+Alert\s+sent/);
    expect((await cli('status')).stdout).toContain(
      `incident ${inc.code}: z-braja AWAS, OPEN, not acknowledged`,
    );

    // A wrong code is refused in words, exit 1; nothing changes.
    const bad = await fail('alerts', 'ack', '9898');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/no incident has code or id "9898"/);

    // gammu-smsd's RunOnReceive hook hands over the ranger's reply.
    const name = 'IN20261201_194400_00_+6281234567890_00.txt';
    writeFileSync(join(spool, 'inbox', name), `Ok ${inc.code}\n`);
    const old = (Date.now() - 5000) / 1000;
    utimesSync(join(spool, 'inbox', name), old, old);
    const hook = await cli('alerts', 'inbox', join(spool, 'inbox', name));
    expect(hook.stdout).toContain(`acknowledged incident ${inc.code} in Dsn Braja by ranger-1`);

    expect((await cli('alerts', 'ack', inc.code, '--by', 'Slamet')).stdout).toBe(
      `incident ${inc.code} in Dsn Braja acknowledged by Slamet; its escalation stops\n`,
    );
    const after = (await list()).incidents[0];
    expect(after?.state).toBe('acked');
    expect(after?.acks.map((a) => [a.by, a.channel])).toEqual([
      ['Darto', 'sms'],
      ['Slamet', 'cli'],
    ]);

    // A test message: an SMS marked TES (in English for this contact) and a CAP Test document.
    const test = JSON.parse((await cli('alerts', 'test', 'kades', '--json')).stdout);
    expect(test.sms).toMatch(/^TES siaga \d\d:\d\d\. SMS test only, not an elephant alert\./);
    const tes = outbox().find((f) => f.includes('+6281298765432'));
    expect(tes).toBeDefined();
    const capFile = readdirSync(join(dir, 'cap')).find((f) =>
      readFileSync(join(dir, 'cap', f), 'utf8').includes(test.cap),
    );
    expect(readFileSync(join(dir, 'cap', capFile as string), 'utf8')).toContain('<status>Test</status>');
    const unknown = await fail('alerts', 'test', 'nobody');
    expect(unknown.stderr).toMatch(/no contact "nobody" in alerts.contacts/);
  }, 120_000);
});
