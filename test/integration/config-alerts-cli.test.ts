import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { langEnv, runCli } from '../helpers/cli-run.js';

const base = `gateway: {id: gw-1, site: {name: Desa, village_code: "18.07.11.2005", lat: -5, lon: 105.7}}
storage: {path: ./x.db}
nodes: [{id: pir-07, type: pir, zone: z-braja}]
zones: [{id: z-braja, name: Dsn Braja}]
`;

function configFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'siaga-alerts-cli-'));
  const file = join(dir, 'siaga.yaml');
  writeFileSync(file, text);
  return file;
}

describe('siaga config check on the alerts section', () => {
  it('exits 78 naming each broken reference with its line; enabled: true itself is fine', async () => {
    const file = configFile(`${base}alerts:
  enabled: true
  contacts:
    - {id: kades, name: Kepala Desa, phone: "0812 9876 5432"}
  policies:
    - zone: "*"
      steps: [{after_min: 0, notify: [kadess, "role:ranger"]}]
`);
    const r = await runCli(['-c', file, 'config', 'check'], { env: langEnv() });
    expect(r.code).toBe(78);
    // file:line:col: path: message, as an editor jumps to it
    const out = r.stdout + r.stderr;
    expect(out).not.toContain('alerts.enabled');
    expect(out).toMatch(/:8:\d+: alerts\.contacts\[0\]\.phone: must be an E\.164 phone number /);
    expect(out).toMatch(/:11:\d+: alerts\.policies\[0\]\.steps\[0\]\.notify\[0\]: unknown contact "kadess"/);
    expect(out).toMatch(
      /:11:\d+: alerts\.policies\[0\]\.steps\[0\]\.notify\[1\]: no contact has role "ranger"/,
    );
  });

  it('accepts a complete section, and shows the phone numbers masked (personal data)', async () => {
    const file = configFile(`${base}alerts:
  contacts: [{id: kades, name: Kepala Desa, phone: "+6281298765432", roles: [village]}]
  policies: [{zone: z-braja, steps: [{after_min: 0, notify: ["role:village"], min_level: AWAS}]}]
`);
    const r = await runCli(['-c', file, 'config', 'check', '--json'], { env: langEnv() });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).alerts.contacts[0].phone).toBe('+62812****5432');
    expect(r.stdout).not.toContain('+6281298765432');
  });
});
