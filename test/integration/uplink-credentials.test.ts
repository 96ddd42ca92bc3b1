import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { type Gateway, startGateway } from '../../src/main.js';
import { runCli } from '../helpers/cli-run.js';
import { tmpDir } from '../helpers/gateway.js';
import { capturingLogger } from '../helpers/log.js';
import { type Mosquitto, mosquittoAvailable, startMosquitto } from '../helpers/mosquitto.js';
import { writePasswordFile } from '../helpers/uplink-centre.js';
import { until } from '../helpers/wait.js';

const URL_PASSWORD = 'url-pw-Zq83kd-never-shown';

function writeConfig(dir: string, uplink: string): string {
  const file = join(dir, 'siaga.yaml');
  writeFileSync(
    file,
    `
gateway: {id: gw-cred, site: {name: Desa Uji, village_code: "18.07.11.2005", park: TNWK, lat: -5.02, lon: 105.76}}
storage: {path: ./siaga.db, group_commit: {max_delay_ms: 2, routine_delay_ms: 10}}
uplink: {url: "${uplink}", backoff: {min_ms: 100, max_ms: 1000}}
nodes:
  - {id: pir-07, type: pir, zone: z-braja}
zones: [{id: z-braja, name: Braja, sirens: [s-1]}]
sirens: [{id: s-1, driver: print}]
control: {socket: ${join(dir, 'siaga.sock')}}
`,
  );
  return file;
}

/** Runs the built CLI; a non-zero exit (doctor with failing checks) still gives its output. */
const siaga = (args: string[]) => runCli(args, { timeoutMs: 60_000 });

const PLAINTEXT = /not encrypted \(mqtt:\/\/\)/;

describe('credentials in uplink.url and plaintext to a remote centre', () => {
  const dirs: string[] = [];
  const stops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const configFor = (uplink: string) => {
    const dir = tmpDir('siaga-cred-');
    dirs.push(dir);
    return writeConfig(dir, uplink);
  };

  it('siaga config check warns about mqtt:// to a remote host, and shows no password', async () => {
    const { stdout, stderr } = await siaga([
      '-c',
      configFor(`mqtt://gw:${URL_PASSWORD}@central.invalid:1883`),
      'config',
      'check',
    ]);
    expect(stdout).toMatch(PLAINTEXT);
    expect(stdout).toContain('central.invalid');
    expect(stdout).toContain('mqtt://gw:[redacted]@central.invalid:1883');
    expect(stdout + stderr).not.toContain(URL_PASSWORD);
    const asJson = await siaga([
      '-c',
      configFor(`mqtt://gw:${URL_PASSWORD}@central.invalid`),
      'config',
      'check',
      '--json',
    ]);
    expect(asJson.stderr).toMatch(PLAINTEXT);
    expect(JSON.parse(asJson.stdout).uplink.url).toBe('mqtt://gw:[redacted]@central.invalid');
    expect(asJson.stdout).not.toContain(URL_PASSWORD);
  });

  it('siaga config check says nothing about plaintext for loopback or mqtts://', async () => {
    for (const url of [
      'mqtt://127.0.0.1:1883',
      'mqtt://localhost',
      'mqtt://[::1]:1883',
      'mqtts://central.invalid:8883',
    ]) {
      const { stdout, stderr } = await siaga(['-c', configFor(url), 'config', 'check']);
      expect(stdout, url).toContain('config ');
      expect(stdout + stderr, url).not.toMatch(PLAINTEXT);
    }
  });

  it('siaga doctor warns about mqtt:// to a remote host, not for loopback or mqtts://, and shows no password', async () => {
    const remote = await siaga(['-c', configFor(`mqtt://gw:${URL_PASSWORD}@central.invalid:1883`), 'doctor']);
    expect(remote.stdout).toMatch(PLAINTEXT);
    expect(remote.stdout + remote.stderr).not.toContain(URL_PASSWORD);
    for (const url of ['mqtt://127.0.0.1:1', 'mqtts://central.invalid:8883']) {
      const { stdout } = await siaga(['-c', configFor(url), 'doctor']);
      expect(stdout, url).toContain('uplink');
      expect(stdout, url).not.toMatch(PLAINTEXT);
    }
  });

  describe.skipIf(!mosquittoAvailable())(
    'a gateway with the password in uplink.url (real Mosquitto that requires it)',
    () => {
      let broker: Mosquitto;
      let pwDir: string;
      let gw: Gateway;
      let lines: Record<string, unknown>[];

      beforeAll(async () => {
        pwDir = tmpDir('siaga-cred-broker-');
        dirs.push(pwDir);
        const passwd = join(pwDir, 'mosquitto.passwd');
        writePasswordFile(passwd, { 'gw-cred': URL_PASSWORD });
        stops.push(async () => {
          await gw?.stop();
          await broker?.close();
        });
        broker = await startMosquitto({ extraConfig: [`password_file ${passwd}`, 'allow_anonymous false'] });
        const file = configFor(`mqtt://gw-cred:${URL_PASSWORD}@127.0.0.1:${broker.port}`);
        const cap = capturingLogger('debug');
        lines = cap.lines;
        gw = await startGateway({
          config: loadConfig(file).config,
          log: cap.log,
          noControl: true,
          sirenOut: new Writable({ write: (_c, _e, cb) => cb() }),
        });
      });

      it('connects with it, and neither logs, status nor config.get show it', async () => {
        // Connected to a broker that refuses anonymous clients: the URL's credentials were used.
        await until('uplink connected', () => gw.status().uplink?.connected);
        expect(lines.some((l) => l.msg === 'uplink connected')).toBe(true);
        const shown = [
          JSON.stringify(lines),
          JSON.stringify(gw.status()),
          JSON.stringify(await gw.services.configGet()),
        ];
        for (const text of shown) expect(text).not.toContain(URL_PASSWORD);
        expect(JSON.stringify(await gw.services.configGet())).toContain(
          `gw-cred:[redacted]@127.0.0.1:${broker.port}`,
        );
      });
    },
  );
});
