import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/index.js';
import { EventLog } from '../../src/gateway/event-log.js';
import { runSummary } from '../../src/gateway/jobs.js';
import { buildSummary, dayWindow, loadSummaries, summaryCsv } from '../../src/report/index.js';
import { type Db, openDb } from '../../src/store/db.js';
import { RunLog, runSpans } from '../../src/store/run-log.js';
import { StoreWriter } from '../../src/store/writer.js';
import { silentLog, testConfig, tmpDir } from '../helpers/gateway.js';
import { insertEvents, insertReadings } from '../helpers/outbox-fixtures.js';

const SITE = {
  name: 'Braja Harjosari',
  village_code: '18.07.11.2005',
  park: 'TNWK',
  lat: -5.02,
  lon: 105.76,
};
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = '2026-11-23';
const { from, to } = dayWindow(DAY, 'Asia/Jakarta');

/** A gateway's run log driven by hand: wall clock and monotonic clock move together unless told. */
class Gateway {
  readonly clock: ManualClock;
  mono = 0;
  readonly log: RunLog;
  constructor(db: Db, start: number) {
    this.clock = new ManualClock(start);
    this.log = new RunLog(db, this.clock, () => this.mono);
    this.log.begin();
  }
  /** Runs for `ms`, with a heartbeat every minute. */
  run(ms: number): void {
    const end = this.clock.now() + ms;
    while (this.clock.now() < end) {
      const step = Math.min(MIN, end - this.clock.now());
      this.clock.advance(step);
      this.mono += step;
      this.log.tick();
    }
  }
}

describe('the daily summary speaks only for the time the gateway ran', () => {
  let dir: string;
  let db: Db;

  beforeEach(() => {
    dir = tmpDir('siaga-uptime-');
    db = openDb(join(dir, 'siaga.db'));
  });
  afterEach(() => db.close());

  it('a day the gateway never saw has no uptime, no minutes at any level and no online %, not "all quiet"', () => {
    const s = buildSummary(db, DAY, SITE, 'gw-1', { zones: ['z-a'], nodes: ['pir-1', 'pir-2'] });
    expect(s.gateway).toEqual({ uptime_s: 0, running: [] });
    expect(s.minutes_at_level).toEqual({ NORMAL: 0, WASPADA: 0, SIAGA: 0, AWAS: 0 });
    expect(s.zones['z-a']).toEqual({ NORMAL: 0, WASPADA: 0, SIAGA: 0, AWAS: 0 });
    expect(s.nodes.online_pct).toBeNull();
  });

  it('a day with a crash and a restart counts only the running hours, to the last heartbeat', () => {
    // 06:00–12:00 WIB, then kill -9 (no clean stop) at 12:00:30 after the 12:00 heartbeat.
    const a = new Gateway(db, from + 6 * HOUR);
    a.run(6 * HOUR);
    a.clock.advance(30_000); // running, but it died before the next heartbeat
    // Restarted at 18:00 and still running the next morning.
    new Gateway(db, from + 18 * HOUR).run(8 * HOUR);
    insertEvents(db, [
      { ts: from + 8 * HOUR, kind: 'level', fields: { zone: 'z-a', level: 'WASPADA', prev: 'NORMAL' } },
      { ts: from + 19 * HOUR, kind: 'level', fields: { zone: 'z-a', level: 'NORMAL', prev: 'WASPADA' } },
      { ts: from + 7 * HOUR, kind: 'node_offline', fields: { node: 'pir-2' } },
    ]);
    const s = buildSummary(db, DAY, SITE, 'gw-1', { zones: ['z-a'], nodes: ['pir-1', 'pir-2'] });
    expect(s.gateway.running).toEqual([
      { from: from + 6 * HOUR, to: from + 12 * HOUR },
      { from: from + 18 * HOUR, to },
    ]);
    expect(s.gateway.uptime_s).toBe(12 * 3600);
    // 06–08 NORMAL, 08–12 WASPADA, (12–18 not running: WASPADA not counted), 18–19 WASPADA, 19–24 NORMAL.
    expect(s.minutes_at_level).toEqual({ NORMAL: 420, WASPADA: 300, SIAGA: 0, AWAS: 0 });
    const minutes = Object.values(s.minutes_at_level).reduce((x, y) => x + y, 0);
    expect(minutes * 60).toBe(s.gateway.uptime_s);
    // pir-2 offline from 07:00: 1 of 12 running hours online → (12 + 1) / 24 node-hours.
    expect(s.nodes.online_pct).toBe(54.2);
    const csv = summaryCsv([s], 'Asia/Jakarta');
    expect(csv).toContain(',43200,06:00–12:00; 18:00–24:00 WIB\r\n');
  });

  it('a wall clock that steps (NTP after a boot without RTC) starts a new span instead of inventing years', () => {
    const g = new Gateway(db, Date.parse('1970-01-01T00:00:00Z'));
    g.run(5 * MIN);
    g.clock.set(from + 10 * HOUR); // NTP sync: the wall clock jumps, the monotonic clock does not
    g.log.tick();
    g.run(HOUR);
    g.log.finish();
    expect(runSpans(db, 0, to)).toEqual([
      { from: 0, to: 5 * MIN },
      { from: from + 10 * HOUR, to: from + 11 * HOUR },
    ]);
    expect(buildSummary(db, DAY, SITE, 'gw-1').gateway.uptime_s).toBe(3600);
  });

  it('the 00:05 job summarises the previous day of the site zone (here WIT, UTC+9) and stores it', () => {
    const config = testConfig('', dir);
    config.gateway.site.tz = 'Asia/Jayapura';
    const wit = dayWindow(DAY, 'Asia/Jayapura');
    const g = new Gateway(db, wit.from - HOUR);
    g.run(25 * HOUR + 5 * MIN); // until 00:05 WIT the next day, when the job runs
    insertReadings(db, [{ node: 'pir-07', seq: 1, type: 'pir', ts: wit.to - MIN, v: { n: 2 } }]);
    const writer = new StoreWriter({ db, log: silentLog, options: { maxRows: 100, maxDelayMs: 1 } });
    const events = new EventLog({ clock: g.clock, log: silentLog, store: (e) => writer.addEvent(e) });
    const s = runSummary({ db, writer, clock: g.clock, events, log: silentLog, runLog: g.log }, config);
    writer.close();
    expect(s).toMatchObject({ day: DAY, tz: '+09:00', from: wit.from, to: wit.to });
    expect(s.readings.received).toBe(1); // 23:59 WIT, which is still the 23rd there
    expect(s.gateway.uptime_s).toBe(86_400);
    expect(loadSummaries(db, DAY, DAY)).toEqual([s]);
  });

  it('a summary of today counts up to now, and readings on a day without a run log still show', () => {
    new Gateway(db, from + HOUR).run(3 * HOUR);
    insertReadings(db, [{ node: 'pir-1', seq: 1, type: 'pir', ts: from + 2 * HOUR, v: { n: 1 } }]);
    const s = buildSummary(db, DAY, SITE, 'gw-1', { now: from + 2 * HOUR + 30 * MIN });
    expect(s.gateway.uptime_s).toBe(90 * 60);
    expect(s.readings.received).toBe(1);
  });
});
