import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatPath, loadConfig, parseConfig } from '../../src/config/load.js';
import { redact, secretValues } from '../../src/config/secrets.js';
import { ConfigError } from '../../src/domain/index.js';
import { must } from '../helpers/must.js';

const root = new URL('../../', import.meta.url).pathname;
/** A misspelt key (line 3), an unknown zone (line 5) and a missing key file (line 9). */
const threeProblems = join(root, 'test/fixtures/config-three-problems.yaml');
const minimal = `
gateway: {id: gw-1, site: {name: Desa, village_code: "18.07.11.2005", lat: -5, lon: 105.7}}
storage: {path: ./x.db}
nodes: [{id: pir-07, type: pir, zone: z-a}]
zones: [{id: z-a, name: Zone A, sirens: [s-1]}]
sirens: [{id: s-1, driver: print}]
`;

function issuesOf(text: string, dir = tmpdir()): string[] {
  try {
    parseConfig(text, dir);
  } catch (e) {
    // Path and message only: where each sits in the file is tested on its own below.
    if (e instanceof ConfigError)
      return e.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
    throw e;
  }
  return [];
}

describe('config', () => {
  it('accepts the demo config and fills every default', () => {
    const { config } = loadConfig(join(root, 'config/demo.yaml'));
    expect(config.gateway.id).toBe('gw-demo-01');
    expect(config.detection.thresholds).toEqual({ waspada: 30, siaga: 60, awas: 100 });
    expect(config.detection.weights.cam_elephant).toBe(70);
    expect(config.siren_policy.max_on_s_per_hour).toBe(600);
    expect(config.schedules.prune).toBe('15 3 * * *');
    expect(config.storage.path.startsWith('/')).toBe(true);
  });

  it('accepts the example config once its secret files exist, and reads them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'siaga-cfg-'));
    const text = readFileSync(join(root, 'config/siaga.example.yaml'), 'utf8').replaceAll(
      '/etc/siaga/',
      `${dir}/`,
    );
    mkdirSync(join(dir, 'lora'));
    writeFileSync(join(dir, 'uplink.pass'), 'uplink-secret-pw\n');
    writeFileSync(join(dir, 'cmd-ops-1.key'), 'cmd-secret-0123456789abcdef\n');
    writeFileSync(join(dir, 'lora/seis-03.nwk'), '44024241ED4CE9A68C6A8BC055233FD3\n');
    writeFileSync(join(dir, 'lora/seis-03.app'), 'EC925802AE430CA77FD3DD73CB2CC588\n');
    writeFileSync(join(dir, 'lora/pir-07.appkey'), '2B7E151628AED2A6ABF7158809CF4F3C\n');
    writeFileSync(join(dir, 'lora/siren-l1.nwk'), '6A1D2E3F405162738495A6B7C8D9EAF1\n');
    writeFileSync(join(dir, 'lora/siren-l1.app'), '0A1B2C3D4E5F60718293A4B5C6D7E8F9\n');
    writeFileSync(join(dir, 'earthranger.token'), 'er-token-secret-42\n');
    const file = join(dir, 'siaga.yaml');
    writeFileSync(file, text);
    const { config } = loadConfig(file);
    expect(config.uplink?.password).toBe('uplink-secret-pw');
    expect(config.commands.keys[0]?.secret).toBe('cmd-secret-0123456789abcdef');
    expect(config.lora?.devices[0]?.nwk_s_key).toBe('44024241ED4CE9A68C6A8BC055233FD3');
    expect(config.alerts.earthranger.token).toBe('er-token-secret-42');
    // Redaction hides every secret, wherever it sits.
    const shown = JSON.stringify(redact(config));
    for (const s of secretValues(config)) expect(shown).not.toContain(s);
    expect(secretValues(config)).toContain('uplink-secret-pw');
    expect(secretValues(config)).toContain('er-token-secret-42');
    expect(config.lora?.devices[1]?.app_key).toBe('2B7E151628AED2A6ABF7158809CF4F3C');
    expect(secretValues(config)).toContain('2B7E151628AED2A6ABF7158809CF4F3C');
  });

  it('reports every problem as path: message', () => {
    const issues = issuesOf(`
gateway: {id: GW_1, site: {name: D, village_code: "1807", lat: -95, lon: 105}}
nodes: [{id: pir-07, type: radar, zone: z-a}]
zones: [{id: z-a, name: A, sirens: []}]
detection: {thresholds: {waspada: 50, siaga: 40, awas: 100}}
bogus: 1
`);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^gateway\.id: /),
        expect.stringMatching(/^gateway\.site\.village_code: must be a Kemendagri village code/),
        expect.stringMatching(/^gateway\.site\.lat: /),
        expect.stringMatching(/^nodes\[0\]\.type: /),
        expect.stringMatching(/^detection\.thresholds: must rise/),
        expect.stringMatching(/bogus/),
      ]),
    );
  });

  it('checks cross-references and unique ids', () => {
    const issues = issuesOf(`
gateway: {id: gw-1, site: {name: D, village_code: "18.07.11.2005", lat: -5, lon: 105}}
nodes: [{id: pir-07, type: pir, zone: z-x}, {id: pir-07, type: pir, zone: z-a}]
zones: [{id: z-a, name: A, sirens: [s-1]}, {id: z-b, name: B, sirens: [s-x, s-1]}]
sirens: [{id: s-1, driver: print}]
lora: {devices: [{node: seis-9, dev_addr: "26011BDA", nwk_s_key: "44024241ED4CE9A68C6A8BC055233FD3", app_s_key: "EC925802AE430CA77FD3DD73CB2CC588"}]}
`);
    expect(issues).toEqual(
      expect.arrayContaining([
        'nodes[1].id: duplicate id "pir-07" (also nodes[0])',
        'nodes[0].zone: unknown zone "z-x"',
        'zones[1].sirens[0]: unknown siren "s-x"',
        'zones[1].sirens[1]: siren "s-1" already belongs to zone "z-a"',
        'lora.devices[0].node: unknown node "seis-9"',
      ]),
    );
  });

  it('refuses a secret file it cannot read, naming the key but never a secret', () => {
    const issues = issuesOf(`${minimal}\nuplink: {url: "mqtt://c:1883", password_file: /nonexistent/pass}\n`);
    expect(issues).toEqual([
      expect.stringMatching(/^uplink\.password_file: cannot read \/nonexistent\/pass \(ENOENT\)/),
    ]);
  });

  it('reads every file path relative to the config file, wherever the gateway runs from', () => {
    const c = parseConfig(
      `${minimal}\nuplink: {url: "mqtts://c:8883", ca_file: ./ca.pem, cert_file: tls/c.pem, key_file: /abs/c.key}\nlocal_broker: {enabled: true, users: [{username: a, password_hash: "scrypt$x", role: admin}], tls: {cert_file: b.pem, key_file: b.key}}\ncontrol: {socket: run/siaga.sock}\n`,
      '/etc/siaga',
    );
    expect(c.storage.path).toBe('/etc/siaga/x.db');
    expect([c.uplink?.ca_file, c.uplink?.cert_file, c.uplink?.key_file]).toEqual([
      '/etc/siaga/ca.pem',
      '/etc/siaga/tls/c.pem',
      '/abs/c.key',
    ]);
    expect(c.local_broker.tls).toEqual({ cert_file: '/etc/siaga/b.pem', key_file: '/etc/siaga/b.key' });
    expect(c.control.socket).toBe('/etc/siaga/run/siaga.sock');
  });

  it('refuses a secret given both inline and as a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'siaga-cfg-'));
    writeFileSync(join(dir, 'p'), 'pw');
    const issues = issuesOf(
      `${minimal}\nuplink: {url: "mqtt://c:1883", password: x, password_file: p}\n`,
      dir,
    );
    expect(issues).toEqual(['uplink.password_file: give either password or password_file, not both']);
  });

  it('refuses a local broker on the LAN without TLS, and one without users', () => {
    const issues = issuesOf(`${minimal}\nlocal_broker: {enabled: true, host: 0.0.0.0}\n`);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^local_broker\.tls: binding to 0\.0\.0\.0 beyond this machine needs TLS/),
        expect.stringMatching(/^local_broker\.users: /),
      ]),
    );
  });

  it('refuses a LoRa siren whose node has no LoRa device (its keys), and accepts one that has', () => {
    const lora = minimal.replace('{id: s-1, driver: print}', '{id: s-1, driver: lora, node: pir-07}');
    expect(issuesOf(lora)).toEqual([
      'sirens[0].node: node "pir-07" has no entry in lora.devices; the downlink needs its keys',
    ]);
    const keys =
      'nwk_s_key: "44024241ED4CE9A68C6A8BC055233FD3", app_s_key: "EC925802AE430CA77FD3DD73CB2CC588"';
    expect(issuesOf(`${lora}\nlora: {devices: [{node: pir-07, dev_addr: "26011BDA", ${keys}}]}\n`)).toEqual(
      [],
    );
  });

  it('tells ABP from OTAA devices and refuses a mix or a half', () => {
    const otaa =
      'dev_eui: "0004A30B001C0530", join_eui: "70B3D57ED0000001", app_key: "2B7E151628AED2A6ABF7158809CF4F3C"';
    expect(issuesOf(`${minimal}\nlora: {devices: [{node: pir-07, ${otaa}}]}\n`)).toEqual([]);
    expect(
      issuesOf(`${minimal}\nlora: {devices: [{node: pir-07, dev_addr: "26011BDA", ${otaa}}]}\n`),
    ).toEqual([
      'lora.devices[0].dev_addr: an OTAA device (dev_eui, join_eui, app_key) gets its DevAddr at each join; remove dev_addr',
    ]);
    expect(issuesOf(`${minimal}\nlora: {devices: [{node: pir-07, dev_eui: "0004A30B001C0530"}]}\n`)).toEqual([
      'lora.devices[0].join_eui: required for OTAA (16 hex digits, also called AppEUI)',
      'lora.devices[0].app_key: required for OTAA (inline or as app_key_file)',
    ]);
  });

  it('refuses an invalid cron expression and YAML syntax errors', () => {
    expect(issuesOf(`${minimal}\nschedules: {prune: "61 3 * * *"}\n`)).toEqual([
      'schedules.prune: is not a valid cron expression',
    ]);
    expect(issuesOf('gateway: [unclosed')[0]).toMatch(/^YAML /);
  });

  it('names a missing file with what to do, exit code 78', () => {
    let err: unknown;
    try {
      loadConfig('/nonexistent/siaga.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(78);
    expect((err as ConfigError).message).toMatch(/not found; pass -c <file> or set SIAGA_CONFIG/);
  });

  it('reports a typo, an unknown zone and a missing key file in one run, each at its line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'siaga-cfg-'));
    const text = readFileSync(threeProblems, 'utf8');
    let err: ConfigError | undefined;
    try {
      parseConfig(text, dir);
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = must(err, 'a ConfigError').issues;
    const byPath = new Map(issues.map((i) => [i.path, i]));
    expect(byPath.get('storage.retention_day')).toMatchObject({
      message: 'unknown key "retention_day"; did you mean "retention_days"?',
      line: 3,
      col: 3,
    });
    expect(byPath.get('nodes[0].zone')).toMatchObject({ message: 'unknown zone "z-x"', line: 5, col: 36 });
    expect(byPath.get('commands.keys[0].secret_file')).toMatchObject({ line: 9, col: 33 });
    expect(byPath.get('commands.keys[0].secret_file')?.message).toMatch(
      /cannot read .*missing\.key \(ENOENT\)/,
    );
    // Nothing else, and in the order of the file.
    expect(issues.map((i) => i.line)).toEqual([3, 5, 9]);
    expect(err?.message.split('\n')[0]).toBe(
      'storage.retention_day: unknown key "retention_day"; did you mean "retention_days"? (line 3, col 3)',
    );
  });

  it('suggests the nearest key allowed at that place, also inside a siren of one driver', () => {
    const issues = (text: string) => {
      try {
        parseConfig(text, tmpdir());
      } catch (e) {
        return (e as ConfigError).issues.map((i) => i.message);
      }
      return [];
    };
    expect(issues(minimal.replace('village_code', 'vilalge_code'))).toContain(
      'unknown key "vilalge_code"; did you mean "village_code"?',
    );
    expect(
      issues(
        minimal.replace('{id: s-1, driver: print}', '{id: s-1, driver: relay, port: /dev/x, chanel: 2}'),
      ),
    ).toEqual(['unknown key "chanel"; did you mean "channel"?']);
    // Nothing near: the allowed keys are listed instead of a wild guess.
    expect(issues(`${minimal}bogus: 1\n`)[0]).toMatch(
      /^unknown key "bogus" \(allowed here: gateway, storage, /,
    );
  });

  it('gives YAML syntax errors and duplicate keys their line and column', () => {
    let err: ConfigError | undefined;
    try {
      parseConfig('gateway:\n  id: gw-1\n  id: gw-2\n', tmpdir());
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err?.issues[0]).toMatchObject({ line: 3, col: 3 });
    expect(err?.message).toMatch(/^YAML syntax: .*\(line 3, col 3\)$/);
  });

  it('finds the place of any node in the file, and of a missing key at its parent', () => {
    const c = `${minimal}lora:\n  devices:\n    - node: seis-9\n`;
    let err: ConfigError | undefined;
    try {
      parseConfig(c, tmpdir());
    } catch (e) {
      err = e as ConfigError;
    }
    // dev_addr is missing: pointed at the device it belongs in.
    const missing = err?.issues.find((i) => i.path === 'lora.devices[0].dev_addr');
    expect(missing).toMatchObject({
      message: 'required for ABP (or give dev_eui, join_eui and app_key for OTAA)',
      line: 9,
      col: 7,
    });
    expect(err?.issues.find((i) => i.path === 'lora.devices[0].node')).toMatchObject({
      message: 'unknown node "seis-9"',
      line: 9,
      col: 13,
    });
  });

  it('formats zod paths the way technicians read them', () => {
    expect(formatPath(['zones', 1, 'sirens', 0])).toBe('zones[1].sirens[0]');
    expect(formatPath(['gateway', 'site', 'lat'])).toBe('gateway.site.lat');
  });
});
