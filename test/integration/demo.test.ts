import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = new URL('../../dist/bin/siaga.js', import.meta.url).pathname;

describe('the README’s first command: siaga demo', () => {
  it('plays an elephant approach end to end: readings from every radio, AWAS, the siren sounds, an all-clear', async () => {
    const { stdout } = await run('node', [CLI, 'demo', '--once'], {
      timeout: 150_000,
      maxBuffer: 8 * 1024 * 1024,
    });
    // The village screen is on, and the demo says where to open it.
    expect(stdout).toMatch(/village screen http:\/\/127\.0\.0\.1:\d+\/ \(log in as kantor/);
    // Readings from the simulated nodes arrive over all three paths and are stored.
    expect(stdout).toMatch(/pir-07 +pir +#\d+ n=1 .*\(serial\)/);
    expect(stdout).toMatch(/cam-02 +cam +#\d+ label=elephant conf=0\.91 .*\(mqtt\)/);
    expect(stdout).toMatch(/\(lora -?\d+ dBm SF\d+\)/);
    // The levels rise to AWAS, the siren that prints sounds, then the zone calms down.
    expect(stdout).toMatch(/EVENT level +z-braja NORMAL → WASPADA/);
    // The beam cut agrees with the footfalls before it: AWAS ahead of the camera's sighting.
    expect(stdout).toMatch(/EVENT level +z-braja WASPADA → AWAS: AWAS: beam cut and footfalls agree/);
    expect(stdout).toMatch(/>>> SIREN s-braja-1 ON/);
    expect(stdout).toMatch(/EVENT level +z-braja WASPADA → NORMAL: NORMAL: all clear/);
    const summary = stdout.slice(stdout.indexOf('demo summary'));
    expect(summary).toMatch(/readings stored: \d+ \(\d+ lora, \d+ mqtt, \d+ serial\)/);
    expect(summary).toMatch(/highest level: AWAS; siren switched on [1-9]\d* time\(s\)/);
    expect(summary).toMatch(/zones now: z-braja NORMAL, z-labuhan NORMAL/);
    // The people: the ranger's SMS as it would go out, the CAP documents' paths, the reply that
    // acknowledges, and the all-clear SMS.
    const code = /Balas OK (\d{4})/.exec(stdout)?.[1];
    expect(stdout).toMatch(
      />>> SMS \+6281234567890( \(first\))?: (SIAGA|AWAS) GAJAH Braja Harjosari edge \(z-braja\) \d\d:\d\d\. .* Balas OK \d{4} <<</,
    );
    expect(stdout).toMatch(/EVENT cap +Alert siaga-\w+-001 → \/\S+\/cap\/\S+\.xml/);
    expect(stdout).toContain(`<<< SMS from +6281234567890: OK ${code}`);
    expect(stdout).toMatch(/EVENT ack +z-braja acknowledged by Darto \(sms\)/);
    expect(stdout).toMatch(/EVENT cap +Cancel siaga-\w+-\d{3} → /);
    expect(stdout).toContain(`AMAN Braja Harjosari edge (z-braja)`);
    expect(summary).toMatch(
      /alerts for people: 1 incident\(s\), \d+ SMS, \d+ CAP document\(s\) in \S+; acknowledged by Darto \(sms\)/,
    );
  }, 180_000);

  it('the unacknowledged story: nobody answers, the escalation reaches the village head, BPBD and the park, then reminds', async () => {
    const { stdout } = await run(
      'node',
      [CLI, 'demo', '--once', '--quiet-readings', '--scenario', 'unacknowledged'],
      {
        timeout: 200_000,
        maxBuffer: 8 * 1024 * 1024,
      },
    );
    const to = (phone: string) => stdout.split('\n').filter((l) => l.startsWith(`>>> SMS ${phone}`));
    expect(to('+6281234567890').length).toBeGreaterThan(0); // ranger, step 1
    expect(to('+6281298765432').length).toBeGreaterThan(0); // village head, +5 min
    expect(to('+6281234500003')[0]).toMatch(/AWAS GAJAH/); // BPBD, +10 min at AWAS only
    expect(to('+6281234500004')[0]).toMatch(/AWAS ELEPHANTS .* Reply OK \d{4}/); // park office reads English
    expect(stdout).toMatch(/ULANG AWAS GAJAH .* Belum ada balasan\. Balas OK \d{4}/); // the second round
    expect(stdout).not.toMatch(/EVENT ack/);
    expect(stdout).toMatch(/alerts for people: 1 incident\(s\), \d+ SMS, .*; acknowledged by none/);
  }, 240_000);
});
