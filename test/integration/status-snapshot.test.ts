import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Reading } from '../../src/domain/index.js';
import { StatusSnapshot } from '../../src/gateway/jobs.js';
import { type Db, openDb } from '../../src/store/db.js';
import { RunLog } from '../../src/store/run-log.js';
import { StoreWriter } from '../../src/store/writer.js';
import { tmpDir } from '../helpers/gateway.js';
import { silentLog } from '../helpers/log.js';

/**
 * The heartbeat's status snapshot (what `siaga status` shows while the gateway is down) rides the
 * next group commit of readings instead of forcing one of its own (P9). A real SQLite file.
 */

const T0 = 1_763_892_000_000;

function reading(seq: number): Reading {
  return {
    id: `01J${String(seq).padStart(23, '0')}`,
    node: 'pir-01',
    seq,
    type: 'pir',
    ts: T0 + seq,
    via: 'serial',
    v: { n: 0, bat: 3.7 },
    clockOk: true,
  };
}

function rig(db: Db, status: () => Record<string, unknown>) {
  const clock = { now: () => T0 };
  const participants: StatusSnapshot[] = [];
  const writer = new StoreWriter({
    db,
    log: silentLog,
    participants,
    options: { maxRows: 100, maxDelayMs: 5, routineDelayMs: 5_000 },
  });
  const runLog = new RunLog(db, clock);
  runLog.begin();
  const snapshot = new StatusSnapshot({ db, writer, clock, log: silentLog, runLog }, status);
  participants.push(snapshot);
  const commits: number[] = [];
  writer.onCommitted((info) => commits.push(info.readings.length));
  const saved = () => {
    const v = db.prepare("SELECT value FROM meta WHERE key = 'status'").pluck().get() as string | undefined;
    return v === undefined ? undefined : (JSON.parse(v) as Record<string, unknown>);
  };
  return { writer, snapshot, commits, saved };
}

describe('status snapshot in the group commit', () => {
  let db: Db;
  beforeEach(() => {
    vi.useFakeTimers();
    db = openDb(join(tmpDir('status-snapshot'), 'siaga.db'));
  });
  afterEach(() => {
    vi.clearAllTimers();
    vi.useRealTimers();
    db.close();
  });

  it('a heartbeat among quiet readings is saved with their commit, not in one of its own', () => {
    const { writer, snapshot, commits, saved } = rig(db, () => ({ level: 'NORMAL' }));
    for (let s = 1; s <= 20; s++) writer.addReading(reading(s));
    snapshot.later();
    expect(saved()).toBeUndefined();
    for (let s = 21; s <= 30; s++) writer.addReading(reading(s));
    vi.advanceTimersByTime(5_000);
    expect(commits).toEqual([30]);
    expect(saved()).toEqual({ level: 'NORMAL', saved_at: T0 });
    writer.close();
  });

  it('with no readings the snapshot is still saved within the routine delay', () => {
    const { writer, snapshot, commits, saved } = rig(db, () => ({ level: 'WASPADA' }));
    snapshot.later();
    vi.advanceTimersByTime(5_000);
    expect(commits).toEqual([0]);
    expect(saved()).toEqual({ level: 'WASPADA', saved_at: T0 });
    writer.close();
  });

  it('a status that cannot be taken skips the snapshot and never costs the readings their commit', () => {
    const { writer, snapshot, commits, saved } = rig(db, () => {
      throw new Error('status broke');
    });
    for (let s = 1; s <= 5; s++) writer.addReading(reading(s));
    snapshot.later();
    vi.advanceTimersByTime(5_000);
    expect(commits).toEqual([5]);
    expect(db.prepare('SELECT count(*) FROM readings').pluck().get()).toBe(5);
    expect(saved()).toBeUndefined();
    writer.close();
  });

  it('at a stop the snapshot is saved at once, with what was pending', () => {
    const { writer, snapshot, saved } = rig(db, () => ({ level: 'NORMAL', stopping: true }));
    for (let s = 1; s <= 3; s++) writer.addReading(reading(s));
    snapshot.now();
    expect(saved()).toEqual({ level: 'NORMAL', stopping: true, saved_at: T0 });
    expect(db.prepare('SELECT count(*) FROM readings').pluck().get()).toBe(3);
    writer.close();
  });
});
