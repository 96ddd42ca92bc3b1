import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { redact } from '../../src/config/secrets.js';
import { ConfigError, type ConfigIssue } from '../../src/domain/index.js';

const root = new URL('../../', import.meta.url).pathname;
const base = `gateway: {id: gw-1, site: {name: Desa, village_code: "18.07.11.2005", lat: -5, lon: 105.7}}
storage: {path: ./x.db}
nodes: [{id: pir-07, type: pir, zone: z-braja}]
zones: [{id: z-braja, name: Dsn Braja}]
`;

function issues(text: string, dir = tmpdir()): ConfigIssue[] {
  try {
    parseConfig(text, dir);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  return [];
}
const said = (text: string, dir?: string) => issues(text, dir).map((i) => `${i.path}: ${i.message}`);

describe('config: alerts for people', () => {
  it('without an alerts section: off, with the documented defaults, paths relative to the config file', () => {
    const c = parseConfig(base, '/etc/siaga');
    expect(c.alerts).toMatchObject({
      enabled: false,
      group_wait_s: 30,
      sms: { driver: 'gammu-smsd', spool: '/var/spool/siaga-sms' },
      contacts: [],
      policies: [],
      cap: { dir: '/var/lib/siaga/cap' },
      earthranger: { enabled: false, mode: 'er', event_type: 'elephant_alert' },
    });
    const rel = parseConfig(`${base}alerts: {sms: {spool: spool}, cap: {dir: cap}}\n`, '/etc/siaga');
    expect([rel.alerts.sms.spool, rel.alerts.cap.dir]).toEqual(['/etc/siaga/spool', '/etc/siaga/cap']);
  });

  it('fills a policy and a contact with their defaults', () => {
    const c = parseConfig(
      `${base}alerts:
  contacts: [{id: kades, name: Kepala Desa, phone: "+6281298765432"}]
  policies: [{zone: "*", steps: [{after_min: 0.5, notify: [kades]}]}]
`,
      tmpdir(),
    );
    expect(c.alerts.contacts[0]).toEqual({
      id: 'kades',
      name: 'Kepala Desa',
      phone: '+6281298765432',
      lang: 'id',
      roles: [],
    });
    expect(c.alerts.policies[0]).toEqual({
      zone: '*',
      repeat_min: 5,
      reconfirm_min: 30,
      steps: [{ after_min: 0.5, notify: ['kades'], min_level: 'SIAGA' }],
    });
  });

  it('refuses a policy naming an unknown contact or a role nobody has, each at its line', () => {
    const found = issues(`${base}alerts:
  contacts:
    - {id: ranger-1, name: Darto, phone: "+6281234567890", roles: [ranger]}
  policies:
    - zone: "*"
      steps:
        - {after_min: 0, notify: ["role:ranger", kadess], min_level: SIAGA}
        - {after_min: 5, notify: ["role:bpbd"], min_level: AWAS}
`);
    expect(found).toEqual([
      expect.objectContaining({
        path: 'alerts.policies[0].steps[0].notify[1]',
        message: 'unknown contact "kadess"',
        line: 11,
      }),
      expect.objectContaining({
        path: 'alerts.policies[0].steps[1].notify[0]',
        message: 'no contact has role "bpbd"',
        line: 12,
      }),
    ]);
  });

  it('refuses a policy for an unknown zone, and one that can never match', () => {
    expect(
      said(`${base}alerts:
  contacts: [{id: kades, name: K, phone: "+6281298765432"}]
  policies:
    - {zone: z-brja, steps: [{after_min: 0, notify: [kades]}]}
    - {zone: "*", steps: [{after_min: 0, notify: [kades]}]}
    - {zone: z-braja, steps: [{after_min: 0, notify: [kades]}]}
`),
    ).toEqual([
      'alerts.policies[0].zone: unknown zone "z-brja"',
      'alerts.policies[2].zone: never used: alerts.policies[1] already matches zone "z-braja"',
    ]);
  });

  it('refuses a contact without a phone, or with one the modem cannot dial, naming the path and line', () => {
    const found = issues(`${base}alerts:
  contacts:
    - {id: a, name: A, phone: "081234567890"}
    - {id: b, name: B, phone: "+62 812 3456 7890"}
    - {id: c, name: C}
    - {id: a, name: D, phone: "+6281234567890", lang: jv}
`);
    expect(found.map((i) => [i.path, i.line])).toEqual([
      ['alerts.contacts[0].phone', 7],
      ['alerts.contacts[1].phone', 8],
      ['alerts.contacts[2].phone', 9],
      ['alerts.contacts[3].id', 10],
      ['alerts.contacts[3].lang', 10],
    ]);
    expect(found[0]?.message).toMatch(/^must be an E\.164 phone number such as "\+6281234567890"/);
    expect(found[2]?.message).toBe('is required');
    expect(found[3]?.message).toBe('duplicate id "a" (also alerts.contacts[0])');
  });

  it('refuses steps out of order and a step at NORMAL', () => {
    expect(
      said(`${base}alerts:
  contacts: [{id: kades, name: K, phone: "+6281298765432"}]
  policies: [{zone: "*", steps: [{after_min: 10, notify: [kades]}, {after_min: 5, notify: [kades], min_level: NORMAL}]}]
`),
    ).toEqual([
      expect.stringMatching(
        /^alerts\.policies\[0\]\.steps\[1\]\.after_min: must not be before the step above it \(10 min\)$/,
      ),
      expect.stringMatching(/^alerts\.policies\[0\]\.steps\[1\]\.min_level: /),
    ]);
  });

  it('takes alerts.enabled: true with contacts, and refuses it with nobody to tell', () => {
    expect(said(`${base}alerts: {enabled: true}\n`)).toEqual([
      'alerts.contacts: alerts are enabled but nobody is listed to be told',
    ]);
    expect(
      said(
        `${base}alerts: {enabled: true, contacts: [{id: ranger-1, name: Darto, phone: "+6281234567890"}]}\n`,
      ),
    ).toEqual([]);
  });

  it('refuses an SMS template that would not reach people whole, naming the template', () => {
    const tpl = (kind: string, text: string) =>
      said(`${base}alerts: {sms: {templates: {id: {${kind}: ${JSON.stringify(text)}}}}}\n`);
    expect(tpl('AWAS', 'AWAS GAJAH {zone} {time}')).toEqual([
      'alerts.sms.templates.id.AWAS: needs {code}, the number people reply with',
    ]);
    expect(tpl('SIAGA', 'SIAGA {desa} Balas OK {code}')).toEqual([
      'alerts.sms.templates.id.SIAGA: unknown placeholder {desa}',
    ]);
    expect(tpl('AWAS', `${'x'.repeat(120)} {zone} OK {code}`)).toEqual([
      expect.stringMatching(/^alerts\.sms\.templates\.id\.AWAS: is too long for one SMS \(\d+ of 160\)$/),
    ]);
    expect(tpl('clear', 'AMAN {zone_name} {time}')).toEqual([]);
  });

  it('EarthRanger: needs a url and a token, takes the token from token_file and never shows it', () => {
    expect(said(`${base}alerts: {earthranger: {enabled: true}}\n`)).toEqual([
      'alerts.earthranger.url: required when earthranger is enabled',
      'alerts.earthranger.token: required (inline or as token_file) when earthranger is enabled',
    ]);
    expect(said(`${base}alerts: {earthranger: {url: "http://er.example.org"}}\n`)).toEqual([
      'alerts.earthranger.url: must be an https:// URL',
    ]);
    expect(said(`${base}alerts: {earthranger: {token_file: /nonexistent/er.token}}\n`)).toEqual([
      expect.stringMatching(
        /^alerts\.earthranger\.token_file: cannot read \/nonexistent\/er\.token \(ENOENT\)/,
      ),
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'siaga-er-'));
    writeFileSync(join(dir, 'er.token'), 'tok-0123456789\n');
    const c = parseConfig(
      `${base}alerts: {earthranger: {enabled: true, mode: gundi, url: "https://gundi.example.org", token_file: er.token}}\n`,
      dir,
    );
    expect(c.alerts.earthranger.token).toBe('tok-0123456789');
    expect(JSON.stringify(redact(c))).not.toContain('tok-0123456789');
  });

  it("the example's policy is the issue's default timeline, and it is off", () => {
    const example = parse(readFileSync(join(root, 'config/siaga.example.yaml'), 'utf8')) as {
      alerts: {
        enabled: boolean;
        group_wait_s: number;
        contacts: { id: string; roles: string[] }[];
        policies: { zone: string; repeat_min: number; reconfirm_min: number; steps: unknown[] }[];
      };
    };
    const a = example.alerts;
    expect(a.enabled).toBe(false);
    expect(a.group_wait_s).toBe(30);
    expect(a.policies).toEqual([
      {
        zone: '*',
        repeat_min: 5,
        reconfirm_min: 30,
        steps: [
          { after_min: 0, notify: ['role:ranger', 'role:eru'], min_level: 'SIAGA' },
          { after_min: 5, notify: ['kades', 'role:ranger-2'], min_level: 'SIAGA' },
          { after_min: 10, notify: ['role:bpbd', 'role:park'], min_level: 'AWAS' },
        ],
      },
    ]);
  });
});
