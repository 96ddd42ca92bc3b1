import { mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GammuSmsd } from '../../drivers/sms/gammu-smsd.js';
import { loadConfig } from '../../src/config/load.js';
import { realProbes } from '../../src/doctor/probes.js';
import { runDoctor } from '../../src/doctor/run.js';
import { tempSpool } from '../fixtures/sms/gammu-rig.js';

/** `siaga doctor` on the SMS side of alerts: the real spool folders, the real outbox files. */
function configWith(spool: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'siaga-doctor-sms-'));
  const file = join(dir, 'siaga.yaml');
  writeFileSync(
    file,
    `
gateway: {id: gw-test, site: {name: Braja, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}}
storage: {path: ${dir}/siaga.db}
nodes: [{id: pir-1, type: pir, zone: z-1}]
zones: [{id: z-1, name: Braja, sirens: [s-1]}]
sirens: [{id: s-1, driver: print}]
alerts:
  enabled: true
  sms: {driver: gammu-smsd, spool: ${spool}}
  contacts: [{id: ranger-1, name: Darto, phone: "+6281234567890", roles: [ranger]}]
  policies: [{zone: "*", steps: [{after_min: 0, notify: ["role:ranger"]}]}]
`,
  );
  return file;
}

const smsCheck = async (spool: string) => {
  const report = await runDoctor(loadConfig(configWith(spool)), realProbes());
  return report.checks.find((c) => c.name === 'sms spool');
};

describe('siaga doctor: the gammu-smsd spool', () => {
  it('FAILs a missing spool, naming each folder and the command that makes them', async () => {
    const c = await smsCheck('/nonexistent/siaga-sms');
    expect(c?.level).toBe('FAIL');
    expect(c?.detail).toContain('/nonexistent/siaga-sms/outbox does not exist');
    expect(c?.fix).toBe(
      'sudo install -d -o gammu -g siaga -m 2770 /nonexistent/siaga-sms/inbox /nonexistent/siaga-sms/outbox /nonexistent/siaga-sms/sent /nonexistent/siaga-sms/error',
    );
  });

  it('is OK with a ready spool, and WARNs when our SMS wait in outbox/ for minutes', async () => {
    const spool = tempSpool();
    expect(await smsCheck(spool)).toMatchObject({ level: 'OK' });
    await new GammuSmsd({ spool }).send({ to: '+6281234567890', text: 'AWAS GAJAH', priority: 'urgent' });
    const [name] = readdirSync(join(spool, 'outbox'));
    const old = (Date.now() - 10 * 60_000) / 1000;
    utimesSync(join(spool, 'outbox', name as string), old, old);
    const c = await smsCheck(spool);
    expect(c?.level).toBe('WARN');
    expect(c?.detail).toMatch(/1 SMS have waited in .*outbox for 10 min: gammu-smsd is not taking them/);
    expect(c?.fix).toContain('systemctl status gammu-smsd');
  });
});
