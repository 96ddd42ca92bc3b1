import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSg1 } from '../../src/codecs/sg1.js';
import { loadConfig } from '../../src/config/load.js';
import type { Clock } from '../../src/domain/index.js';
import { startGateway } from '../../src/main.js';
import { formatLocalTime } from '../../src/util/local-time.js';
import { runCli } from '../helpers/cli-run.js';
import { col, csvRecords, findRecord, parseCsv } from '../helpers/csv.js';
import { silentLog, tmpDir } from '../helpers/gateway.js';
import { freePort } from '../helpers/mosquitto.js';
import { until } from '../helpers/wait.js';

const UPLINK_PASSWORD = 'uplink-pw-export-never-9d2c';
const CMD_SECRET = 'cmd-secret-export-never-0a1b2c3d';
const SITE_NAME = 'Braja Harjosari, "Pos 1"';
const CAM_NOTE = 'herd of 5, "big" one';
const DAY_MS = 86_400_000;

/** Runs the built CLI as a user would, from `cwd` (where -o writes). */
const siaga = (cwd: string, ...args: string[]) => runCli(args, { cwd });

const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);
const wibDay = (t: number) => isoDay(t + 7 * 3_600_000);

describe('siaga export, run as a user runs it', () => {
  let dir: string;
  let configFile: string;
  const now = Date.now();
  let ranAt = 0;

  beforeAll(async () => {
    dir = tmpDir('siaga-export-');
    configFile = join(dir, 'siaga.yaml');
    // An uplink to a port nobody listens on: the secrets are in the config, nothing leaves.
    const deadPort = await freePort();
    writeFileSync(
      configFile,
      `
gateway: {id: gw-export, site: {name: '${SITE_NAME}', village_code: "18.07.11.2005", park: TNWK, lat: -5.02, lon: 105.76}}
storage: {path: ./siaga.db}
uplink: {url: "mqtt://127.0.0.1:${deadPort}", username: gw-export, password: "${UPLINK_PASSWORD}"}
commands: {keys: [{id: ops-1, secret: "${CMD_SECRET}"}]}
nodes:
  - {id: pir-07, type: pir, zone: z-braja}
  - {id: seis-03, type: seis, zone: z-braja}
  - {id: cam-02, type: cam, zone: z-braja}
  - {id: btn-pos1, type: btn, zone: z-braja}
zones: [{id: z-braja, name: Braja, sirens: [s-1]}]
sirens: [{id: s-1, driver: print}]
control: {socket: ${join(dir, 'siaga.sock')}}
log: {level: silent}
`,
    );
    // The gateway's wall clock; one reading arrives while it is unsynced (after a power cut, R7).
    let offset = 0;
    const clock: Clock = { now: () => Date.now() + offset };
    const startedAt = Date.now();
    const gw = await startGateway({
      config: loadConfig(configFile).config,
      log: silentLog,
      clock,
      noControl: true,
      sirenOut: new Writable({ write: (_c, _e, cb) => cb() }),
    });
    try {
      const serial = { via: 'serial', from: '/dev/ttyUSB0' } as const;
      gw.ingest.acceptLine(
        encodeSg1({ node: 'pir-07', seq: 1234, type: 'pir', v: { n: 3, bat: 3.71 } }),
        serial,
      );
      gw.ingest.acceptFrame(
        { node: 'seis-03', seq: 17, type: 'seis', v: { pgv: 0.82, f: 8.5 } },
        {
          via: 'lora',
          from: 'AA555A0000000000',
          radio: { rssi: -97, snr: 7.5, freq: 922.2, sf: 10 },
          seqChecked: true,
        },
      );
      gw.ingest.acceptLine(
        JSON.stringify({
          node: 'cam-02',
          seq: 88,
          type: 'cam',
          label: 'elephant',
          conf: 0.91,
          note: CAM_NOTE,
        }),
        serial,
      );
      offset = Date.parse('1970-01-01T00:10:00Z') - Date.now();
      gw.ingest.acceptLine(encodeSg1({ node: 'pir-07', seq: 1235, type: 'hb', v: { bat: 3.7 } }), serial);
      offset = 0;
      gw.ingest.acceptLine(encodeSg1({ node: 'btn-pos1', seq: 5, type: 'btn', v: { p: 1 } }), serial);
      await until('the panic button raised AWAS', () => gw.status().levels['z-braja'] === 'AWAS');
      ranAt = Date.now();
      // Long enough that its uptime is whole seconds, not rounded to 0.
      await until('the gateway ran a few seconds', () => Date.now() - startedAt >= 3000);
    } finally {
      await gw.stop();
    }
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes one row per reading with the site columns, radio, clock flag and CSV-escaped values', async () => {
    const r = await siaga(
      dir,
      '-c',
      configFile,
      'export',
      '--from',
      '1970-01-01',
      '--to',
      isoDay(now + 2 * DAY_MS),
      '-o',
      'out.csv',
    );
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/wrote 5 reading\(s\) to out\.csv/);
    const text = readFileSync(join(dir, 'out.csv'), 'utf8');
    const [header] = parseCsv(text);
    expect(header).toEqual(
      expect.arrayContaining([
        'gateway_id',
        'village_code',
        'site_name',
        'park',
        'lat',
        'lon',
        'node',
        'type',
        'values',
      ]),
    );
    const rows = csvRecords(text);
    expect(rows).toHaveLength(5);
    for (const row of rows) {
      expect(row).toMatchObject({
        gateway_id: 'gw-export',
        village_code: '18.07.11.2005',
        site_name: SITE_NAME,
        park: 'TNWK',
        lat: '-5.02',
        lon: '105.76',
      });
    }
    const by = (node: string, type: string) =>
      findRecord(rows, (x) => x.node === node && x.type === type, `a ${type} row of ${node}`);
    expect(by('pir-07', 'pir')).toMatchObject({ seq: '1234', via: 'serial', clock_ok: 'true', rssi: '' });
    expect(JSON.parse(col(by('pir-07', 'pir'), 'values'))).toEqual({ n: 3, bat: 3.71 });
    expect(by('seis-03', 'seis')).toMatchObject({
      via: 'lora',
      rssi: '-97',
      snr: '7.5',
      freq: '922.2',
      sf: '10',
    });
    expect(JSON.parse(col(by('seis-03', 'seis'), 'values'))).toEqual({ pgv: 0.82, f: 8.5 });
    // A text value with a comma and quotes survives the round trip.
    expect(JSON.parse(col(by('cam-02', 'cam'), 'values'))).toEqual({
      label: 'elephant',
      conf: 0.91,
      note: CAM_NOTE,
    });
    const unsynced = by('pir-07', 'hb');
    expect(unsynced.clock_ok).toBe('false');
    expect(unsynced.time_utc).toMatch(/^1970-01-01T/);
    expect(JSON.parse(col(by('btn-pos1', 'btn'), 'values'))).toEqual({ p: 1 });
    // Rows are in time order: the unsynced 1970 reading first.
    expect(rows[0]?.type).toBe('hb');

    for (const s of [UPLINK_PASSWORD, CMD_SECRET]) {
      expect(text).not.toContain(s);
      expect(r.stdout).not.toContain(s);
    }
  });

  it('--summary on a database created today writes today only: days the gateway never ran are not "all quiet"', async () => {
    const r = await siaga(dir, '-c', configFile, 'export', '--summary', '--from', '4d', '-o', 'summary.csv');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    // The range it covered, in the site's local time.
    expect(r.stdout).toMatch(
      /wrote 1 day\(s\) to summary\.csv \(\d{4}-\d{2}-\d{2} \d{2}:\d{2} WIB – \d{4}-\d{2}-\d{2} \d{2}:\d{2} WIB\)/,
    );
    const text = readFileSync(join(dir, 'summary.csv'), 'utf8');
    const rows = csvRecords(text);
    expect(rows).toHaveLength(1);
    const [today] = rows;
    expect(today).toMatchObject({
      day: wibDay(ranAt),
      tz: '+07:00',
      village_code: '18.07.11.2005',
      site_name: SITE_NAME,
      gateway_id: 'gw-export',
      readings_received: '4',
      detections_btn: '1',
      detections_cam: '1',
      detections_seis: '1',
      elephant_detections: '1',
    });
    // The gateway ran for seconds: the minutes at each level add up to that, not to 1,440.
    const uptime = Number(col(today, 'gateway_uptime_s'));
    const minutes = ['normal', 'waspada', 'siaga', 'awas'].reduce(
      (n, l) => n + Number(col(today, `minutes_${l}`)),
      0,
    );
    expect(uptime).toBeGreaterThan(0);
    expect(uptime).toBeLessThan(3600);
    expect(minutes).toBeLessThan(60);
    expect(col(today, 'gateway_running')).toMatch(/^\d{2}:\d{2}–\d{2}:\d{2} WIB$/);
    for (const s of [UPLINK_PASSWORD, CMD_SECRET]) {
      expect(text).not.toContain(s);
      expect(r.stdout).not.toContain(s);
    }
  });

  it('readings carry their time in the site zone beside UTC', async () => {
    const r = await siaga(dir, '-c', configFile, 'export', '--from', 'today', '-o', 'today.csv');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const rows = csvRecords(readFileSync(join(dir, 'today.csv'), 'utf8'));
    const btn = findRecord(rows, (x) => x.type === 'btn', 'the btn row');
    const ts = Date.parse(col(btn, 'time_utc'));
    expect(btn.time_local).toBe(formatLocalTime(ts, 'Asia/Jakarta', { seconds: true }));
    expect(btn.time_local).toMatch(/ WIB$/);
  });

  it('--from after --to is a usage error (exit 64) that says so', async () => {
    const r = await siaga(dir, '-c', configFile, 'export', '--from', '2026-11-20', '--to', '2026-11-01');
    expect(r.code).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--from must be before --to/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('without a database it says there is none yet and how it comes to be, and fails', async () => {
    const empty = tmpDir('siaga-export-nodb-');
    try {
      const file = join(empty, 'siaga.yaml');
      writeFileSync(file, readFileSync(configFile, 'utf8'));
      const r = await siaga(empty, '-c', file, 'export', '--from', '7d', '-o', 'out.csv');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`no database at ${join(empty, 'siaga.db')}`);
      expect(r.stderr).toMatch(/siaga run/);
      expect(r.stderr).not.toMatch(/\n\s+at /); // a sentence, not a stack trace
      expect(`${r.stdout}${r.stderr}`).not.toContain(UPLINK_PASSWORD);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
