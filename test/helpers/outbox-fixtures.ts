import { monotonicFactory } from 'ulid';
import type { Db } from '../../src/store/db.js';
import { must } from './must.js';

/**
 * Test-only writers for readings/events + their outbox rows (the real ingest side is
 * src/store/writer.ts). Each call is one transaction, like a group commit.
 */
export interface FixtureReading {
  id?: string;
  node: string;
  seq: number;
  type: string;
  ts: number;
  via?: string;
  v: Record<string, number | string>;
  radio?: { rssi: number; snr: number; freq: number; sf: number };
  clockOk?: boolean;
}

export interface FixtureEvent {
  id?: string;
  ts: number;
  kind: string;
  fields?: Record<string, unknown>;
}

const ulid = monotonicFactory();

export function newId(): string {
  return ulid();
}

/** Inserts readings and queues them; returns their ids in order. */
export function insertReadings(db: Db, readings: FixtureReading[], queue = true): string[] {
  const ins = db.prepare(
    'INSERT INTO readings (id, node, seq, type, ts, via, v, radio, clock_ok) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const out = db.prepare('INSERT INTO outbox_readings (rid) VALUES (?)');
  const ids: string[] = [];
  db.transaction(() => {
    for (const r of readings) {
      const id = r.id ?? ulid();
      const { lastInsertRowid } = ins.run(
        id,
        r.node,
        r.seq,
        r.type,
        r.ts,
        r.via ?? 'serial',
        JSON.stringify(r.v),
        r.radio ? JSON.stringify(r.radio) : null,
        r.clockOk === false ? 0 : 1,
      );
      if (queue) out.run(lastInsertRowid);
      ids.push(id);
    }
  })();
  return ids;
}

/** Inserts events and queues them; returns their ids in order. */
export function insertEvents(db: Db, events: FixtureEvent[], queue = true): string[] {
  const ins = db.prepare('INSERT INTO events (id, ts, kind, fields) VALUES (?, ?, ?, ?)');
  const out = db.prepare('INSERT INTO outbox_events (eid) VALUES (?)');
  const ids: string[] = [];
  db.transaction(() => {
    for (const e of events) {
      const id = e.id ?? ulid();
      const { lastInsertRowid } = ins.run(id, e.ts, e.kind, JSON.stringify(e.fields ?? {}));
      if (queue) out.run(lastInsertRowid);
      ids.push(id);
    }
  })();
  return ids;
}

const TYPES = ['pir', 'seis', 'hb', 'cam', 'beam', 'fence', 'gps'] as const;

/** A realistic mix of readings (types, values, some LoRa with radio metadata, a few unsynced). */
export function mixReadings(n: number, t0: number, startSeq = 0): FixtureReading[] {
  const out: FixtureReading[] = [];
  for (let i = 0; i < n; i++) {
    const type = must(TYPES[i % TYPES.length], 'a reading type');
    const nodeNo = String(i % 48).padStart(2, '0');
    const ts = t0 + i * 50;
    const lora = i % 3 === 0;
    const v: Record<string, number | string> =
      type === 'pir'
        ? { n: i % 4, bat: 3.71 }
        : type === 'seis'
          ? { pgv: Math.round((i % 97) * 1.3) / 100, f: 8.5 }
          : type === 'hb'
            ? { bat: 3.7, rssi: -71 - (i % 20) }
            : type === 'cam'
              ? { label: i % 5 === 0 ? 'elephant' : 'animal', conf: 0.91, bat: 3.9 }
              : type === 'beam'
                ? { cut: i % 2, bat: 3.6 }
                : type === 'fence'
                  ? { kv: 6.1, bat: 12.6 }
                  : { lat: -4.9271, lon: 105.7823, hdop: 1.2, bat: 3.95 };
    const r: FixtureReading = {
      node: `${type}-${nodeNo}`,
      seq: startSeq + i,
      type,
      ts,
      via: lora ? 'lora' : 'serial',
      v,
    };
    if (lora) r.radio = { rssi: -97 - (i % 15), snr: 7.5, freq: 922.2, sf: 10 };
    if (i % 500 === 499) r.clockOk = false;
    out.push(r);
  }
  return out;
}
