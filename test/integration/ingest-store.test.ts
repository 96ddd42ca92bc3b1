import { describe, expect, it } from 'vitest';
import { encodeSg1 } from '../../src/codecs/sg1.js';
import { ManualClock, type Reading } from '../../src/domain/index.js';
import type { Db } from '../../src/store/db.js';
import { loadNodeStates } from '../../src/store/node-state.js';
import { queryReadings } from '../../src/store/readings.js';
import { StoreWriter } from '../../src/store/writer.js';
import { silentLog, testConfig } from '../helpers/gateway.js';
import { ingestRig } from '../helpers/ingest-rig.js';

const NOW = Date.parse('2026-11-25T21:00:00Z');

/** The real ingest path over a real SQLite file, without radios or timers of its own. */
function rig(path: string, clock = new ManualClock(NOW)) {
  const accepted: Reading[] = [];
  const { db, writer, ingest, counters, tracker, events } = ingestRig({
    config: testConfig(),
    dbPath: path,
    clock,
    writer: { maxRows: 1000, maxDelayMs: 1000 },
    onReading: (r) => accepted.push(r),
  });
  const line = (node: string, seq: number, type: 'pir' | 'hb' | 'seis', v: Record<string, number>) =>
    ingest.acceptLine(encodeSg1({ node, seq, type, v }), { via: 'serial', from: '/dev/ttyTEST' });
  return { db, writer, ingest, counters, accepted, tracker, clock, line, events };
}

const count = (db: Db, sql: string) => (db.prepare(sql).get() as { n: number }).n;

describe('ingest → store (real SQLite)', () => {
  it('stores each reading with its outbox row and node state in one commit', () => {
    const path = `${testConfig().storage.path}`;
    const r = rig(path);
    for (let seq = 1; seq <= 50; seq++)
      expect(r.line('pir-07', seq, 'pir', { n: 1, bat: 3.7 }).ok).toBe(true);
    expect(count(r.db, 'SELECT count(*) AS n FROM readings')).toBe(0); // not yet committed
    r.writer.flush();
    expect(count(r.db, 'SELECT count(*) AS n FROM readings')).toBe(50);
    expect(count(r.db, 'SELECT count(*) AS n FROM outbox_readings')).toBe(50);
    expect(loadNodeStates(r.db).get('pir-07')).toMatchObject({ seq: 50, frames: 50, bat: 3.7, lost: 0 });
    r.writer.close();
    r.db.close();

    // After a restart the node's seq is remembered: the same frame again is a duplicate.
    const again = rig(path);
    const res = again.line('pir-07', 50, 'pir', { n: 1 });
    expect(res).toMatchObject({ ok: false, reason: 'duplicate' });
    expect(again.counters.get('serial', 'duplicate')).toBe(1);
  });

  it('refuses unknown nodes and bad lines with a counted reason, and loses nothing else', () => {
    const r = rig(testConfig().storage.path);
    expect(r.line('pir-99', 1, 'pir', { n: 1 })).toMatchObject({ ok: false, reason: 'unknown_node' });
    expect(r.ingest.acceptLine('$SG1,pir-07,1,pir,n=1*00', { via: 'serial', from: 'x' })).toMatchObject({
      ok: false,
      reason: 'bad_checksum',
    });
    expect(r.ingest.acceptLine('garbage', { via: 'serial', from: 'x' })).toMatchObject({
      ok: false,
      reason: 'bad_syntax',
    });
    expect(r.line('pir-07', 1, 'pir', { n: 1 }).ok).toBe(true);
    r.writer.flush();
    expect(r.counters.snapshot().serial).toEqual({ bad_checksum: 1, bad_syntax: 1, unknown_node: 1 });
    expect(queryReadings(r.db, {}).map((x) => x.node)).toEqual(['pir-07']);
  });

  it('counts gaps as lost and restarts as resets (docs/wire.md §1)', () => {
    const r = rig(testConfig().storage.path);
    r.line('seis-03', 100, 'seis', { pgv: 0.1 });
    r.line('seis-03', 105, 'seis', { pgv: 0.1 }); // 4 lost
    r.line('seis-03', 3, 'seis', { pgv: 0.1 }); // restart
    r.line('seis-03', 4, 'seis', { pgv: 0.1 });
    r.writer.flush();
    expect(loadNodeStates(r.db).get('seis-03')).toMatchObject({ seq: 4, lost: 4, resets: 1, frames: 4 });
    const gaps = r.db.prepare("SELECT fields FROM events WHERE kind = 'seq_gap'").all() as {
      fields: string;
    }[];
    expect(gaps.map((g) => JSON.parse(g.fields))).toEqual([{ node: 'seis-03', lost: 4, total_lost: 4 }]);
  });

  it('R7: after a power cut with the clock at 1970, readings are flagged clock_ok = false', () => {
    const clock = new ManualClock(Date.parse('1970-01-01T00:05:00Z'));
    const r = rig(testConfig().storage.path, clock);
    r.line('pir-07', 1, 'pir', { n: 1 });
    clock.set(NOW);
    r.line('pir-07', 2, 'pir', { n: 1 });
    r.writer.flush();
    const rows = r.db.prepare('SELECT seq, clock_ok FROM readings ORDER BY seq').all();
    expect(rows).toEqual([
      { seq: 1, clock_ok: 0 },
      { seq: 2, clock_ok: 1 },
    ]);
  });

  it('raises battery_low once (with hysteresis) and node_offline / node_online', () => {
    const r = rig(testConfig().storage.path);
    r.line('pir-07', 1, 'hb', { bat: 3.5 });
    r.line('pir-07', 2, 'hb', { bat: 3.3 });
    r.line('pir-07', 3, 'hb', { bat: 3.35 });
    r.line('pir-07', 4, 'hb', { bat: 3.42 }); // within hysteresis: still low, no new event
    r.line('pir-07', 5, 'hb', { bat: 3.3 });
    r.clock.advance(301 * 3 * 1000);
    const off = r.tracker.checkOffline(r.clock.now()).map((s) => s.node);
    expect(off).toContain('pir-07');
    r.line('pir-07', 6, 'hb', { bat: 3.8 });
    r.writer.flush();
    const kinds = (
      r.db.prepare("SELECT kind, fields FROM events WHERE fields LIKE '%pir-07%' ORDER BY eid").all() as {
        kind: string;
      }[]
    ).map((e) => e.kind);
    expect(kinds).toEqual(['battery_low', 'node_offline', 'node_online']);
  });

  it('R4: while the disk refuses writes, readings stay in memory and are committed when space returns', () => {
    const r = rig(testConfig().storage.path);
    let failing = false;
    const writer = new StoreWriter({
      db: r.db,
      log: silentLog,
      options: { maxRows: 10, maxDelayMs: 1000, retryMs: 60_000 },
      onStorageState: (f) => {
        failing = f;
      },
    });
    const pageCount = r.db.pragma('page_count', { simple: true }) as number;
    r.db.pragma(`max_page_count = ${pageCount}`); // the disk is "full" now
    const big = 'x'.repeat(2000);
    for (let i = 0; i < 30; i++) {
      writer.addReading({
        id: `01JR4${String(i).padStart(21, '0')}`,
        node: 'pir-07',
        seq: i,
        type: 'pir',
        ts: NOW,
        via: 'serial',
        v: { n: 1, note: big },
        clockOk: true,
      });
    }
    expect(writer.flush()).toBe(false);
    expect(failing).toBe(true);
    expect(writer.storageFailing).toBe(true);
    expect(writer.pending).toBe(30);
    r.db.pragma('max_page_count = 1073741823'); // space returns
    expect(writer.flush()).toBe(true);
    expect(failing).toBe(false);
    expect(count(r.db, 'SELECT count(*) AS n FROM readings')).toBe(30);
    writer.close();
  });
});
