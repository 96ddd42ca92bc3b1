import { execFile } from 'node:child_process';
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeSg1 } from '../../src/codecs/sg1.js';
import { loadConfig } from '../../src/config/load.js';
import { type Gateway, startGateway } from '../../src/main.js';
import { silentLog, tmpDir } from '../helpers/gateway.js';
import { createPtyPair, type PtyPair, socatAvailable } from '../helpers/socat.js';
import { until } from '../helpers/wait.js';

const run = promisify(execFile);
const CLI = new URL('../../dist/bin/siaga.js', import.meta.url).pathname;

describe.skipIf(!socatAvailable())('gateway over a real serial pty', () => {
  let gw: Gateway | undefined;
  let pty: PtyPair | undefined;
  afterEach(async () => {
    await gw?.stop();
    await pty?.close();
    gw = undefined;
    pty = undefined;
  });

  function writeConfig(dir: string, port: string): string {
    const file = join(dir, 'siaga.yaml');
    writeFileSync(
      file,
      `
gateway: {id: gw-pty, site: {name: Desa, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}}
storage: {path: ${join(dir, 'siaga.db')}}
serial: [{port: ${port}, baud: 115200}]
nodes:
  - {id: pir-07, type: pir, zone: z-a}
  - {id: cam-02, type: cam, zone: z-a}
zones: [{id: z-a, name: A, sirens: []}]
log: {level: silent}
`,
    );
    return file;
  }

  it('reads SG1 and JSON lines from the port into SQLite; readings and nodes work while it runs', async () => {
    const dir = tmpDir();
    pty = await createPtyPair(dir, { names: ['gw', 'node'] });
    const file = writeConfig(dir, pty.a);
    gw = await startGateway({ config: loadConfig(file).config, log: silentLog });
    const fd = openSync(pty.b, 'w');
    writeSync(fd, `${encodeSg1({ node: 'pir-07', seq: 1, type: 'pir', v: { n: 3, bat: 3.71 } })}\r\n`);
    writeSync(fd, '{"node":"cam-02","seq":7,"type":"cam","label":"elephant","conf":0.91}\n');
    writeSync(fd, `$SG1,pir-07,2,pir,n=1*00\n${'x'.repeat(300)}\n`); // bad checksum, too long
    writeSync(fd, `${encodeSg1({ node: 'pir-07', seq: 2, type: 'pir', v: { n: 1 } })}\n`);
    closeSync(fd);
    const g = gw;
    await until('3 readings', () => g.writer.committedReadings >= 3);
    expect(g.counters.snapshot().serial).toEqual({ bad_checksum: 1, too_long: 1 });

    const readings = JSON.parse(
      (await run('node', [CLI, '-c', file, 'readings', '--json', '--since', '1h'])).stdout,
    );
    expect(readings.map((r: { node: string; seq: number }) => `${r.node}#${r.seq}`)).toEqual([
      'pir-07#1',
      'cam-02#7',
      'pir-07#2',
    ]);
    const nodes = JSON.parse((await run('node', [CLI, '-c', file, 'nodes', '--json'])).stdout);
    expect(nodes).toEqual([
      expect.objectContaining({ node: 'pir-07', zone: 'z-a', online: true, bat: 3.71, seq: 2, frames: 2 }),
      expect.objectContaining({ node: 'cam-02', online: true, seq: 7 }),
    ]);
    const table = (await run('node', [CLI, '-c', file, 'nodes'])).stdout;
    expect(table).toMatch(/^node\s+zone\s+type\s+state/);
    expect(table).toMatch(/pir-07\s+z-a\s+pir\s+online/);

    const status = JSON.parse((await run('node', [CLI, '-c', file, 'status', '--json'])).stdout);
    expect(status).toMatchObject({
      gateway: 'gw-pty',
      nodes: { total: 2, online: 2 },
      serial: [{ open: true }],
    });
  });

  it('R5: the adapter unplugged and re-plugged raises serial_lost then serial_back and reads again', async () => {
    const dir = tmpDir();
    pty = await createPtyPair(dir, { names: ['gw', 'node'] });
    const file = writeConfig(dir, pty.a);
    gw = await startGateway({ config: loadConfig(file).config, log: silentLog });
    const g = gw;
    const kinds: string[] = [];
    g.onLive((l) => {
      if (l.kind === 'event') kinds.push(l.event.kind);
    });
    await pty.close(); // unplugged
    await until('serial_lost', () => kinds.includes('serial_lost'));
    pty = await createPtyPair(dir, { names: ['gw', 'node'] }); // re-plugged on the same path
    const back = Date.now();
    await until('serial_back', () => kinds.includes('serial_back'), 15_000);
    const fd = openSync(pty.b, 'w');
    writeSync(fd, `${encodeSg1({ node: 'pir-07', seq: 10, type: 'pir', v: { n: 1 } })}\n`);
    closeSync(fd);
    await until('a reading after re-plug', () => g.writer.committedReadings >= 1);
    // Logged, not asserted: timing is the benchmark's business.
    silentLog.info({ ms: Date.now() - back }, 'reconnect');
  });

  it('siaga status exits 69 with a clear sentence when no gateway runs', async () => {
    const dir = tmpDir();
    const file = writeConfig(dir, join(dir, 'nonexistent'));
    const err = await run('node', [CLI, '-c', file, 'status']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(err).toMatchObject({ code: 69 });
    expect((err as { stderr: string }).stderr).toMatch(
      /the gateway is not running .* start it with: sudo systemctl start siaga/,
    );
  });
});
