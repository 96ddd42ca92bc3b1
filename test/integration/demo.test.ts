import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;

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
    expect(stdout).toMatch(/EVENT level +z-braja SIAGA → AWAS/);
    expect(stdout).toMatch(/>>> SIREN s-braja-1 ON/);
    expect(stdout).toMatch(/EVENT level +z-braja WASPADA → NORMAL: NORMAL: all clear/);
    const summary = stdout.slice(stdout.indexOf('demo summary'));
    expect(summary).toMatch(/readings stored: \d+ \(\d+ lora, \d+ mqtt, \d+ serial\)/);
    expect(summary).toMatch(/highest level: AWAS; siren switched on [1-9]\d* time\(s\)/);
    expect(summary).toMatch(/zones now: z-braja NORMAL, z-labuhan NORMAL/);
  }, 180_000);
});
