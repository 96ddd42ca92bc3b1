import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.js';
import type { GatewayEvent, Reading } from '../../src/domain/index.js';
import { EventLog } from '../../src/gateway/event-log.js';
import { runPrune } from '../../src/gateway/jobs.js';
import { AlertStore } from '../../src/store/alerts.js';
import { openDb } from '../../src/store/db.js';
import { prune, usedBytes } from '../../src/store/prune.js';
import { StoreWriter } from '../../src/store/writer.js';
import { silentLog, testConfig } from '../helpers/gateway.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-25T03:15:00Z');

function fill(path: string, n: number, ts: (i: number) => number) {
  const db = openDb(path);
  const w = new StoreWriter({ db, log: silentLog, options: { maxRows: 100_000, maxDelayMs: 1000 } });
  for (let i = 0; i < n; i++) {
    const r: Reading = {
      id: `R${String(i).padStart(25, '0')}`,
      node: 'pir-07',
      seq: i,
      type: 'pir',
      ts: ts(i),
      via: 'serial',
      v: { n: 1, pad: 'x'.repeat(200) },
      clockOk: true,
    };
    w.addReading(r);
  }
  w.addEvent({ id: 'E1', ts: NOW - 60 * DAY, kind: 'level', fields: { zone: 'z', level: 'AWAS' } });
  w.flush();
  return db;
}

const count = (db: ReturnType<typeof openDb>, sql: string) => (db.prepare(sql).get() as { n: number }).n;

describe('pruning (real SQLite)', () => {
  it('drops readings past retention with their outbox rows, never events', () => {
    const db = fill(testConfig().storage.path, 1000, (i) => (i < 400 ? NOW - 40 * DAY : NOW - DAY));
    const res = prune(db, { now: NOW, retentionDays: 30, eventsRetentionDays: 365, maxDbMb: 1024 });
    expect(res.expired).toBe(400);
    expect(count(db, 'SELECT count(*) AS n FROM readings')).toBe(600);
    expect(count(db, 'SELECT count(*) AS n FROM outbox_readings')).toBe(600);
    expect(count(db, 'SELECT count(*) AS n FROM events')).toBe(1);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('over max_db_mb: the oldest already-forwarded readings go first, unforwarded ones stay', () => {
    const db = fill(testConfig().storage.path, 60_000, () => NOW - DAY);
    expect(usedBytes(db)).toBeGreaterThan(16 * 1024 * 1024);
    db.prepare('DELETE FROM outbox_readings WHERE rid <= 30000').run(); // the first half was forwarded
    const res = prune(db, { now: NOW, retentionDays: 30, eventsRetentionDays: 365, maxDbMb: 16 });
    expect(res.forwardedForSpace).toBeGreaterThan(0);
    expect(res.forwardedForSpace).toBeLessThanOrEqual(30_000);
    expect(res.unforwardedForSpace).toBe(0);
    expect(usedBytes(db)).toBeLessThanOrEqual(16 * 1024 * 1024);
    expect(count(db, 'SELECT count(*) AS n FROM outbox_readings')).toBe(30_000);
    const lo = (db.prepare('SELECT min(seq) AS lo FROM readings').get() as { lo: number }).lo;
    expect(lo).toBe(res.forwardedForSpace); // oldest first
  });

  it('when nothing was forwarded, the oldest unforwarded readings go, counted; events stay', () => {
    const db = fill(testConfig().storage.path, 60_000, () => NOW - DAY);
    const res = prune(db, { now: NOW, retentionDays: 30, eventsRetentionDays: 365, maxDbMb: 16 });
    expect(res.forwardedForSpace).toBe(0);
    expect(res.unforwardedForSpace).toBeGreaterThan(0);
    expect(usedBytes(db)).toBeLessThanOrEqual(16 * 1024 * 1024);
    const lo = (db.prepare('SELECT min(seq) AS lo FROM readings').get() as { lo: number }).lo;
    expect(lo).toBe(res.unforwardedForSpace);
    expect(res.unforwarded).toEqual({
      count: res.unforwardedForSpace,
      oldestTs: NOW - DAY,
      newestTs: NOW - DAY,
    });
    expect(
      count(
        db,
        'SELECT count(*) AS n FROM outbox_readings o LEFT JOIN readings r ON r.rid = o.rid WHERE r.rid IS NULL',
      ),
    ).toBe(0);
    expect(count(db, 'SELECT count(*) AS n FROM events')).toBe(1);
  });
});

/** Runs the prune job as the gateway does (real writer and event log); returns the events it emitted. */
function runPruneJob(db: ReturnType<typeof openDb>, config: ReturnType<typeof testConfig>) {
  const writer = new StoreWriter({ db, log: silentLog, options: { maxRows: 100, maxDelayMs: 5 } });
  const clock = new ManualClock(NOW);
  const emitted: GatewayEvent[] = [];
  const events = new EventLog({ clock, log: silentLog, store: (e) => writer.addEvent(e) });
  events.listen((e) => emitted.push(e));
  runPrune({ db, writer, clock, events, log: silentLog }, config);
  writer.flush();
  return emitted.filter((e) => e.kind === 'pruned_unforwarded');
}

describe('pruning reports what the centre never got (issue 11.10)', () => {
  it('expired unforwarded readings are counted and sent as one pruned_unforwarded event; forwarded ones silently go', () => {
    const config = testConfig();
    const ts = (i: number) => (i < 400 ? NOW - 40 * DAY + i * 1000 : NOW - DAY);
    const db = fill(config.storage.path, 1000, ts);
    db.prepare('DELETE FROM outbox_readings WHERE rid <= 100').run(); // the first 100 reached the centre

    const pruned = runPruneJob(db, config);

    expect(count(db, 'SELECT count(*) AS n FROM readings')).toBe(600);
    expect(pruned).toHaveLength(1);
    expect(pruned[0]?.fields).toMatchObject({
      count: 300,
      oldest_ts: ts(100),
      newest_ts: ts(399),
      expired: 300,
    });
    // It goes to the centre like any event: stored and queued in the outbox.
    const queued = db
      .prepare('SELECT e.kind AS kind FROM outbox_events o JOIN events e ON e.eid = o.eid')
      .all() as { kind: string }[];
    expect(queued.map((q) => q.kind)).toContain('pruned_unforwarded');
  });

  it('nothing unforwarded pruned: no event', () => {
    const config = testConfig();
    const db = fill(config.storage.path, 100, (i) => NOW - 40 * DAY + i);
    db.prepare('DELETE FROM outbox_readings').run();
    expect(runPruneJob(db, config)).toEqual([]);
    expect(count(db, 'SELECT count(*) AS n FROM readings')).toBe(0);
  });

  it('forwarded events go after events_retention_days; queued and recent ones stay', () => {
    const db = openDb(testConfig().storage.path);
    const w = new StoreWriter({ db, log: silentLog, options: { maxRows: 100, maxDelayMs: 5 } });
    const ev = (id: string, ts: number): GatewayEvent => ({
      id,
      ts,
      kind: 'lora_rejected',
      fields: { since_last: 1 },
    });
    w.addEvent(ev('old-forwarded', NOW - 400 * DAY));
    w.addEvent(ev('old-queued', NOW - 400 * DAY));
    w.addEvent(ev('recent-forwarded', NOW - 10 * DAY));
    w.flush();
    db.prepare(
      "DELETE FROM outbox_events WHERE eid IN (SELECT eid FROM events WHERE id IN ('old-forwarded', 'recent-forwarded'))",
    ).run();
    const res = prune(db, { now: NOW, retentionDays: 30, eventsRetentionDays: 365, maxDbMb: 1024 });
    expect(res.eventsExpired).toBe(1);
    const left = (db.prepare('SELECT id FROM events ORDER BY id').all() as { id: string }[]).map((r) => r.id);
    expect(left).toEqual(['old-queued', 'recent-forwarded']);
  });

  it('closed incidents go with their messages after events_retention_days; open ones and queued SMS stay', () => {
    const db = openDb(testConfig().storage.path);
    const store = new AlertStore(db, () => {});
    const inc = (id: string, state: 'open' | 'closed', closed?: number) => ({
      id,
      zone: 'z-braja',
      zoneName: 'Braja',
      level: state === 'closed' ? ('NORMAL' as const) : ('AWAS' as const),
      peak: 'AWAS' as const,
      code: '4821',
      state,
      opened: NOW - 400 * DAY,
      updated: NOW - 400 * DAY,
      ...(closed === undefined ? {} : { closed }),
      reason: '',
      evidence: [],
      acks: [],
    });
    const msg = (id: string, incident: string, state: 'queued' | 'sent') => ({
      id,
      incident,
      contact: 'ranger-1',
      channel: 'sms' as const,
      kind: 'alert' as const,
      level: 'AWAS' as const,
      state,
      decided: NOW - 400 * DAY,
      at: NOW - 400 * DAY,
      text: 'AWAS',
      attempts: 1,
      nextAt: 0,
    });
    store.putIncident(inc('old-closed', 'closed', NOW - 399 * DAY));
    store.putIncident(inc('old-open', 'open'));
    store.putIncident(inc('old-closed-queued', 'closed', NOW - 399 * DAY));
    store.putIncident(inc('recent-closed', 'closed', NOW - 5 * DAY));
    store.putMessage(msg('m1', 'old-closed', 'sent'));
    store.putMessage(msg('m2', 'old-closed-queued', 'queued'));
    store.putMessage(msg('m3', 'recent-closed', 'sent'));
    db.transaction(() => store.writeDirty())();
    prune(db, { now: NOW, retentionDays: 30, eventsRetentionDays: 365, maxDbMb: 1024 });
    const ids = (sql: string) => (db.prepare(sql).all() as { id: string }[]).map((r) => r.id);
    expect(ids('SELECT id FROM incidents ORDER BY id')).toEqual([
      'old-closed-queued',
      'old-open',
      'recent-closed',
    ]);
    expect(ids('SELECT id FROM alert_messages ORDER BY id')).toEqual(['m2', 'm3']);
  });
});
