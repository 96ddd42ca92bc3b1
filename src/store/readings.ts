import type { Radio, Reading, ReadingType, Values, Via } from '../domain/index.js';
import type { Db } from './db.js';

/** The columns of a stored reading as the uplink and export read them (v and radio stay JSON text). */
export interface StoredReading {
  id: string;
  node: string;
  seq: number;
  type: string;
  ts: number;
  via: string;
  v: string;
  radio: string | null;
  clock_ok: number;
}

/** A readings row with its rowid. */
export interface ReadingRow extends StoredReading {
  rid: number;
}

export function rowToReading(r: StoredReading): Reading {
  const reading: Reading = {
    id: r.id,
    node: r.node,
    seq: r.seq,
    type: r.type as ReadingType,
    ts: r.ts,
    via: r.via as Via,
    v: JSON.parse(r.v) as Values,
    clockOk: r.clock_ok === 1,
  };
  if (r.radio) reading.radio = JSON.parse(r.radio) as Radio;
  return reading;
}

export interface ReadingQuery {
  since?: number;
  until?: number;
  node?: string;
  type?: string;
  limit?: number;
}

/** Stored readings, newest last; used by the CLI (works while the gateway runs, WAL readers never block). */
export function queryReadings(db: Db, q: ReadingQuery): Reading[] {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (q.since !== undefined) {
    where.push('ts >= ?');
    args.push(q.since);
  }
  if (q.until !== undefined) {
    where.push('ts < ?');
    args.push(q.until);
  }
  if (q.node !== undefined) {
    where.push('node = ?');
    args.push(q.node);
  }
  if (q.type !== undefined) {
    where.push('type = ?');
    args.push(q.type);
  }
  const sql = `SELECT * FROM (SELECT * FROM readings ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY ts DESC, rid DESC LIMIT ?) ORDER BY ts, rid`;
  args.push(q.limit ?? 1000);
  return (db.prepare(sql).all(...args) as ReadingRow[]).map(rowToReading);
}

/** Readings with ts inside [since, now]: what the detection engine needs after a restart. */
export function readingsSince(db: Db, since: number): Reading[] {
  return (db.prepare('SELECT * FROM readings WHERE ts >= ? ORDER BY ts, rid').all(since) as ReadingRow[]).map(
    rowToReading,
  );
}
