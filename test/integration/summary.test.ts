import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/index.js';
import {
  buildSummary,
  csvField,
  dayWindow,
  loadSummaries,
  previousDay,
  readingsCsv,
  SUMMARY_CSV_COLUMNS,
  storeSummary,
  summaryCsv,
} from '../../src/report/index.js';
import { type Db, openDb } from '../../src/store/db.js';
import { RunLog } from '../../src/store/run-log.js';
import { col, csvRecords, findRecord, parseCsv } from '../helpers/csv.js';
import { insertEvents, insertReadings } from '../helpers/outbox-fixtures.js';

const SITE = {
  name: 'Braja "Harjo", Sari',
  village_code: '18.07.11.2005',
  park: 'TNWK',
  lat: -5.02,
  lon: 105.76,
};
const GW = 'gw-tnwk-01';
const DAY = '2025-11-23';
const MIN = 60_000;
const SECRET = 'cmd-secret-should-never-appear';

/** A gateway process that ran from `start` to `end`, beating every minute (the real run log). */
function ranFrom(db: Db, start: number, end: number, opts: { clean?: boolean } = {}): void {
  const clock = new ManualClock(start);
  let mono = 0;
  const log = new RunLog(db, clock, () => mono);
  log.begin();
  while (clock.now() + MIN <= end) {
    clock.advance(MIN);
    mono += MIN;
    log.tick();
  }
  const rest = end - clock.now();
  clock.advance(rest);
  mono += rest;
  if (opts.clean ?? true) log.finish();
}

describe('daily summary and CSV export', () => {
  let dir: string;
  let db: Db;
  const { from, to } = dayWindow(DAY, 'Asia/Jakarta');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'siaga-summary-'));
    db = openDb(join(dir, 'siaga.db'));
    insertReadings(db, [
      { node: 'pir-1', seq: 1, type: 'pir', ts: from - 1, v: { n: 5 } }, // previous day
      { node: 'pir-1', seq: 2, type: 'pir', ts: from, v: { n: 3, bat: 3.7 } },
      { node: 'pir-1', seq: 3, type: 'pir', ts: from + 10 * MIN, v: { n: 0 } },
      { node: 'pir-1', seq: 4, type: 'pir', ts: from + 20 * MIN, v: { n: 1 } },
      {
        node: 'cam-1',
        seq: 1,
        type: 'cam',
        ts: from + 61 * MIN,
        via: 'lora',
        v: { label: 'elephant', conf: 0.91 },
        radio: { rssi: -97, snr: 7.5, freq: 922.2, sf: 10 },
      },
      { node: 'cam-1', seq: 2, type: 'cam', ts: from + 62 * MIN, v: { label: 'human, "armed"', conf: 0.7 } },
      { node: 'hb-1', seq: 1, type: 'hb', ts: from + 100 * MIN, v: { bat: 3.6 }, clockOk: false },
      { node: 'fence-1', seq: 1, type: 'fence', ts: from + 200 * MIN, v: { kv: 2.1 } },
      { node: 'beam-1', seq: 1, type: 'beam', ts: from + 300 * MIN, v: { cut: 0 } },
      { node: 'pir-1', seq: 5, type: 'pir', ts: to, v: { n: 2 } }, // next day
    ]);
    insertEvents(db, [
      { ts: from - 60 * MIN, kind: 'level', fields: { zone: 'z-a', level: 'WASPADA', prev: 'NORMAL' } },
      { ts: from + 60 * MIN, kind: 'level', fields: { zone: 'z-a', level: 'AWAS', prev: 'WASPADA' } },
      { ts: from + 90 * MIN, kind: 'level', fields: { zone: 'z-a', level: 'SIAGA', prev: 'AWAS' } },
      { ts: from + 100 * MIN, kind: 'level', fields: { zone: 'z-b', level: 'WASPADA', prev: 'NORMAL' } },
      {
        ts: from + 120 * MIN,
        kind: 'level',
        fields: { zone: 'z-a', level: 'NORMAL', prev: 'SIAGA', all_clear: true },
      },
      { ts: from - 60 * MIN, kind: 'node_offline', fields: { node: 'fence-1' } },
      { ts: from + 360 * MIN, kind: 'node_offline', fields: { node: 'pir-1' } },
      { ts: from + 720 * MIN, kind: 'node_online', fields: { node: 'pir-1' } },
      { ts: from - 5 * MIN, kind: 'seq_gap', fields: { node: 'pir-1', lost: 100 } },
      { ts: from + 5 * MIN, kind: 'seq_gap', fields: { node: 'pir-1', lost: 3, total_lost: 103 } },
      { ts: from + 500 * MIN, kind: 'seq_gap', fields: { node: 'cam-1', lost: 2, total_lost: 2 } },
      {
        ts: from + 600 * MIN,
        kind: 'cmd',
        fields: { cmd_id: 'c-1', cmd: 'status', key_id: 'ops-1', ok: true },
      },
    ]);
    const sl = db.prepare('INSERT INTO siren_log (siren, zone, on_ts, off_ts, cause) VALUES (?, ?, ?, ?, ?)');
    sl.run('s-1', 'z-a', from - MIN, from + MIN, 'level'); // 60 s inside the day, started the day before
    sl.run('s-1', 'z-a', from + 60 * MIN, from + 63 * MIN, 'level'); // 180 s
    sl.run('s-1', 'z-a', to - 30_000, null, 'btn'); // still on at midnight: 30 s
    const ns = db.prepare('INSERT INTO node_state (node, lost) VALUES (?, 0)');
    for (const n of ['pir-1', 'cam-1', 'hb-1', 'fence-1']) ns.run(n);
  });

  /** The gateway ran the whole day (started the evening before, still running the next morning). */
  const ranAllDay = () => ranFrom(db, from - 3 * 60 * MIN, to + 60 * MIN);

  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('local days are WIB (UTC+7) by default; the 00:05 run summarises yesterday', () => {
    expect(new Date(from).toISOString()).toBe('2025-11-22T17:00:00.000Z');
    expect(to - from).toBe(86_400_000);
    expect(previousDay(Date.parse('2025-11-23T17:05:00Z'))).toBe('2025-11-23'); // 00:05 WIB on the 24th
    expect(previousDay(Date.parse('2025-11-23T16:05:00Z'))).toBe('2025-11-22');
  });

  it('computes the expected numbers for a known day', () => {
    ranAllDay();
    const s = buildSummary(db, DAY, SITE, GW, {
      zones: ['z-a', 'z-b', 'z-c'],
      nodes: ['beam-1'],
    });
    expect(s).toMatchObject({
      day: DAY,
      tz: '+07:00',
      gw: GW,
      village_code: '18.07.11.2005',
      site: { name: SITE.name, park: 'TNWK', lat: -5.02, lon: 105.76 },
      readings: { received: 8, lost: 5, by_type: { pir: 3, cam: 2, hb: 1, fence: 1, beam: 1 } },
      detections: { pir: 2, seis: 0, beam: 0, cam: 2, gps: 0, btn: 0, fence: 1 },
      elephant_detections: 1,
      minutes_at_level: { NORMAL: 0, WASPADA: 1380, SIAGA: 30, AWAS: 30 },
      zones: {
        'z-a': { NORMAL: 1320, WASPADA: 60, SIAGA: 30, AWAS: 30 },
        'z-b': { NORMAL: 100, WASPADA: 1340, SIAGA: 0, AWAS: 0 },
        'z-c': { NORMAL: 1440, WASPADA: 0, SIAGA: 0, AWAS: 0 },
      },
      sirens: { activations: 2, seconds_on: 270 },
      // 5 nodes × 24 h; fence-1 offline all day, pir-1 for 6 h → 90 of 120 node-hours
      nodes: { total: 5, online_pct: 75 },
      gateway: { uptime_s: 86_400, running: [{ from, to }] },
    });
  });

  it('stores summaries in meta and exports them as CSV with the site columns, escaped right', () => {
    ranAllDay();
    const s = buildSummary(db, DAY, SITE, GW);
    storeSummary(db, s);
    storeSummary(db, s); // idempotent
    const loaded = loadSummaries(db, '2025-11-01', '2025-11-30');
    expect(loaded).toEqual([s]);
    const csv = summaryCsv(loaded);
    const rows = parseCsv(csv);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual([...SUMMARY_CSV_COLUMNS]);
    const [rec] = csvRecords(csv);
    expect(rec).toMatchObject({
      day: DAY,
      village_code: '18.07.11.2005',
      site_name: 'Braja "Harjo", Sari',
      park: 'TNWK',
      lat: '-5.02',
      lon: '105.76',
      gateway_id: GW,
      readings_received: '8',
      readings_lost: '5',
      elephant_detections: '1',
      minutes_awas: '30',
      siren_seconds_on: '270',
      gateway_uptime_s: '86400',
      gateway_running: '00:00–24:00 WIB',
    });
    expect(csv).toContain('"Braja ""Harjo"", Sari"');
    expect(csv).not.toContain(SECRET);
  });

  it('exports readings as CSV, streamed, with site columns and JSON values that read back', () => {
    const lines = [...readingsCsv(db, from, to, SITE, GW)];
    expect(lines).toHaveLength(1 + 8);
    const [head] = parseCsv(lines.join(''));
    expect(head?.slice(0, 6)).toEqual(['gateway_id', 'village_code', 'site_name', 'park', 'lat', 'lon']);
    const recs = csvRecords(lines.join(''));
    const cam = findRecord(recs, (r) => r.node === 'cam-1' && r.seq === '1', 'the first cam-1 row');
    expect(cam).toMatchObject({
      gateway_id: GW,
      village_code: '18.07.11.2005',
      via: 'lora',
      rssi: '-97',
      sf: '10',
      time_local: '2025-11-23 01:01:00 WIB',
    });
    expect(JSON.parse(col(cam, 'values'))).toEqual({ label: 'elephant', conf: 0.91 });
    const human = findRecord(recs, (r) => r.node === 'cam-1' && r.seq === '2', 'the second cam-1 row');
    expect(JSON.parse(col(human, 'values')).label).toBe('human, "armed"');
    expect(findRecord(recs, (r) => r.node === 'hb-1', 'the hb-1 row').clock_ok).toBe('false');
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('csvField neutralises spreadsheet formulas but keeps numbers', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('@SUM(1)')).toBe("'@SUM(1)");
    expect(csvField(-5.02)).toBe('-5.02');
    expect(csvField('-5.02')).toBe('-5.02');
    expect(csvField(' padded')).toBe('" padded"');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField(null)).toBe('');
  });
});
