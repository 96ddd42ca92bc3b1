import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { openDb } from '../../src/store/db.js';
import { LoraStateStore } from '../../src/store/lora-state.js';
import { StoreWriter } from '../../src/store/writer.js';
import { silentLog, testConfig, tmpDir } from '../helpers/gateway.js';
import { testReading } from '../helpers/reading.js';

const reading = testReading;

function rig() {
  const db = openDb(testConfig().storage.path);
  const lora = new LoraStateStore(db, { requestFlush: () => writer.requestFlush() });
  const writer: StoreWriter = new StoreWriter({
    db,
    log: silentLog,
    options: { maxRows: 1000, maxDelayMs: 5, routineDelayMs: 5000 },
    participants: [lora],
  });
  const stored = () => (db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n;
  return { db, writer, lora, stored };
}

describe('group commit policy (real SQLite, fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('routine readings share one commit after routine_delay_ms; evidence is committed at once, without waiting max_delay_ms', () => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'],
    });
    const r = rig();
    r.writer.addReading(reading(1));
    r.writer.addReading(reading(2));
    vi.advanceTimersByTime(1000);
    expect(r.stored()).toBe(0); // heartbeats wait, to spare the SD card
    r.writer.addReading(reading(3, 'pir'));
    r.writer.expedite(); // the engine scored it
    expect(r.stored()).toBe(0); // not inside the call: the rest of this turn's input joins it
    vi.advanceTimersByTime(0); // the next turn of the event loop, no clock time passed
    expect(r.stored()).toBe(3); // the evidence took the waiting heartbeats with it
    r.writer.addReading(reading(4));
    vi.advanceTimersByTime(4999);
    expect(r.stored()).toBe(3);
    vi.advanceTimersByTime(1);
    expect(r.stored()).toBe(4);
  });

  it('an event is committed on the next turn, with whatever readings wait', () => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'],
    });
    const r = rig();
    r.writer.addReading(reading(1));
    r.writer.addEvent({ id: 'E1', ts: 1, kind: 'level', fields: { level: 'AWAS' } });
    vi.advanceTimersByTime(0);
    expect(r.stored()).toBe(1);
    expect((r.db.prepare('SELECT count(*) AS n FROM outbox_events').get() as { n: number }).n).toBe(1);
  });

  it('a LoRa FCnt is written in the same commit as its reading, not before', () => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'],
    });
    const r = rig();
    const fcntRow = () => r.db.prepare('SELECT fcnt FROM lora_state WHERE dev_addr = ?').get('26011bda');
    r.lora.set('26011BDA', 70_000, 1);
    r.writer.addReading({ ...reading(70_000, 'pir'), via: 'lora' });
    expect(r.lora.get('26011bda')).toBe(70_000); // replay protection holds at once, in memory
    expect(fcntRow()).toBeUndefined();
    vi.advanceTimersByTime(5000);
    expect(fcntRow()).toEqual({ fcnt: 70_000 });
    expect(r.stored()).toBe(1);
    // A frame whose payload was refused still spends its FCnt: a commit comes without a reading.
    r.lora.set('26011BDA', 70_001, 2);
    vi.advanceTimersByTime(5000);
    expect(fcntRow()).toEqual({ fcnt: 70_001 });
  });
});

describe('routine batch bounded by count (issue 11.9)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('with the default config, never more than 100 routine readings wait uncommitted while frames stream in', () => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'],
    });
    const dir = tmpDir();
    // No group_commit section: the shipped defaults are what is tested.
    const config = parseConfig(
      `gateway: {id: gw-gc, site: {name: Desa Uji, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}}
storage: {path: ${join(dir, 'siaga.db')}}
nodes: [{id: pir-07, type: pir, zone: z-braja}]
zones: [{id: z-braja, name: Braja, sirens: [], center: [-5.02, 105.76], radius_m: 1500}]
`,
      dir,
    );
    const gc = config.storage.group_commit;
    const commits: number[] = [];
    const db = openDb(config.storage.path);
    const writer = new StoreWriter({
      db,
      log: silentLog,
      options: { maxRows: gc.max_rows, maxDelayMs: gc.max_delay_ms, routineDelayMs: gc.routine_delay_ms },
      onCommit: (info) => commits.push(info.readings.length),
    });
    let most = 0;
    for (let seq = 1; seq <= 2000; seq++) {
      writer.addReading(reading(seq)); // 2,000 heartbeats at 1,000/s: a kill -9 may come at any point
      most = Math.max(most, writer.pending);
      vi.advanceTimersByTime(1);
    }
    expect(most).toBeLessThanOrEqual(100);
    expect(commits.length).toBeGreaterThanOrEqual(20);
    expect(Math.max(...commits)).toBeLessThanOrEqual(100);
    // A quiet night still batches: a heartbeat a second shares one commit per routine_delay_ms.
    commits.length = 0;
    vi.advanceTimersByTime(gc.routine_delay_ms);
    for (let seq = 2001; seq <= 2010; seq++) {
      writer.addReading(reading(seq));
      vi.advanceTimersByTime(1000);
    }
    vi.advanceTimersByTime(gc.routine_delay_ms);
    expect(commits.filter((n) => n > 0).length).toBeLessThanOrEqual(3);
  });
});
