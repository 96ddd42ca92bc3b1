import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Reading } from '../../src/domain/index.js';
import { openDb } from '../../src/store/db.js';
import { LoraStateStore } from '../../src/store/lora-state.js';
import { StoreWriter } from '../../src/store/writer.js';
import { silentLog, testConfig } from '../helpers/gateway.js';

const reading = (seq: number, type: Reading['type'] = 'hb'): Reading => ({
  id: `R${String(seq).padStart(25, '0')}`,
  node: 'pir-07',
  seq,
  type,
  ts: 1_763_892_000_000 + seq,
  via: 'serial',
  v: type === 'hb' ? { bat: 3.9 } : { n: 1 },
  clockOk: true,
});

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

  it('routine readings share one commit after routine_delay_ms; evidence is committed within max_delay_ms', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const r = rig();
    r.writer.addReading(reading(1));
    r.writer.addReading(reading(2));
    vi.advanceTimersByTime(1000);
    expect(r.stored()).toBe(0); // heartbeats wait, to spare the SD card
    r.writer.addReading(reading(3, 'pir'));
    r.writer.expedite(); // the engine scored it
    vi.advanceTimersByTime(5);
    expect(r.stored()).toBe(3); // the evidence took the waiting heartbeats with it
    r.writer.addReading(reading(4));
    vi.advanceTimersByTime(4999);
    expect(r.stored()).toBe(3);
    vi.advanceTimersByTime(1);
    expect(r.stored()).toBe(4);
  });

  it('an event is committed on the next turn, with whatever readings wait', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const r = rig();
    r.writer.addReading(reading(1));
    r.writer.addEvent({ id: 'E1', ts: 1, kind: 'level', fields: { level: 'AWAS' } });
    vi.advanceTimersByTime(0);
    expect(r.stored()).toBe(1);
    expect((r.db.prepare('SELECT count(*) AS n FROM outbox_events').get() as { n: number }).n).toBe(1);
  });

  it('a LoRa FCnt is written in the same commit as its reading, not before', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
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
