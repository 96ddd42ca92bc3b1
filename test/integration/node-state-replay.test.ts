import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { NodeConfig } from '../../src/config/schema.js';
import type { GatewayEvent, Reading } from '../../src/domain/index.js';
import { NodeTracker } from '../../src/gateway/node-tracker.js';
import { type Db, openDb } from '../../src/store/db.js';
import { loadNodeStates, NODE_STATE_MARK, type NodeState } from '../../src/store/node-state.js';
import { StoreWriter } from '../../src/store/writer.js';
import { idFactory } from '../../src/util/ids.js';
import { tmpDir } from '../helpers/gateway.js';
import { silentLog } from '../helpers/log.js';

/**
 * Node state is rewritten about once a minute or every 5,000 readings, not with every commit (P1,
 * P9); a start after a crash rebuilds the rest from the readings committed after the mark. Real
 * SQLite files.
 */

const NODES = ['pir-01', 'seis-02', 'fence-03', 'hb-04'];
const config = (id: string): NodeConfig => ({ id, type: 'pir', zone: 'z-1' }) as NodeConfig;
const noEvents = { emit: () => ({}) as GatewayEvent };

const copy = (states: Map<string, NodeState>) => new Map([...states].map(([k, s]) => [k, { ...s }]));

/** Node states as `siaga nodes` loads them beside a running gateway: a read-only connection. */
function loadReadOnly(path: string): Map<string, NodeState> {
  const ro = openDb(path, { readonly: true });
  try {
    return loadNodeStates(ro);
  } finally {
    ro.close();
  }
}

/** One gateway life on the file: its tracker (the states ingest keeps) and its writer. */
function life(
  db: Db,
  clock: { now: number },
  maxRows: number,
  opts: { failWriteBack?: boolean; everyReadings?: number } = {},
) {
  // A disk that refuses the start's write-back: this connection's inserts into node_state fail.
  if (opts.failWriteBack === true)
    db.exec(`CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.node_state
      BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`);
  let unsaved: NodeState[] = [];
  const states = loadNodeStates(db, {
    unsaved: (replayed) => {
      unsaved = replayed;
    },
  });
  if (opts.failWriteBack === true) db.exec('DROP TRIGGER temp.refuse');
  const tracker = new NodeTracker({
    nodes: NODES.map(config),
    states,
    events: noEvents,
    startedAt: clock.now,
  });
  const writer = new StoreWriter({
    db,
    log: silentLog,
    options: {
      maxRows,
      maxDelayMs: 5,
      routineDelayMs: 60_000,
      ...(opts.everyReadings === undefined ? {} : { nodeStateEveryReadings: opts.everyReadings }),
    },
    now: () => clock.now,
  });
  // As src/main.ts wires it.
  if (unsaved.length > 0) writer.touchNodes(unsaved);
  const ulid = idFactory();
  /** The states as of the last commit: what a kill -9 at any moment must find again. */
  const atCommit = { states: copy(states) };
  writer.onCommitted(() => {
    atCommit.states = copy(states);
  });
  /** What ingest does with an accepted frame (ingest.ts), minus parsing and detection. */
  const accept = (node: string, seq: number, bat: number, rssi?: number) => {
    const now = clock.now;
    const r: Reading = {
      id: ulid(now),
      node,
      seq,
      type: 'pir',
      ts: now,
      via: 'serial',
      v: { n: 0, bat },
      clockOk: true,
    };
    if (rssi !== undefined) r.radio = { rssi, freq: 923.2, sf: 9 };
    const verdict = tracker.checkSeq(node, seq);
    // Refused. (Ingest also counts it in `dups`, which waits for the node's next reading to be
    // written, before this change as after: a copy taken at a commit would not match.)
    if (verdict.kind === 'duplicate') return;
    writer.addReading(r, tracker.accept(r, verdict, now));
  };
  return { tracker, writer, accept, states, atCommit };
}

/**
 * A gateway life of two 100-row commits 300 ms apart (the second defers the rows), then kill -9.
 * Returns seis-02's state at the crash: what a replay must give it.
 */
function twoCommitsThenCrash(path: string, clock: { now: number }): NodeState {
  const db = openDb(path);
  const first = life(db, clock, 100);
  for (let i = 0; i < 100; i++) first.accept(NODES[i % 4] as string, 1 + Math.floor(i / 4), 3.7);
  clock.now += 300;
  for (let i = 100; i < 200; i++) first.accept(NODES[i % 4] as string, 1 + Math.floor(i / 4), 3.7);
  const seis = { ...(first.states.get('seis-02') as NodeState) };
  expect(seis).toMatchObject({ seq: 50, frames: 50 });
  vi.clearAllTimers();
  db.close();
  return seis;
}

describe('node state written once a minute, replayed after a crash', () => {
  let dir: string;
  beforeEach(() => {
    vi.useFakeTimers();
    dir = tmpDir('node-state');
  });
  afterEach(() => {
    vi.clearAllTimers();
    vi.useRealTimers();
  });

  it('a 100-row commit within a minute of the last node write leaves the rows alone, yet loading them gives every reading', () => {
    const db = openDb(join(dir, 'siaga.db'));
    const clock = { now: 1_763_892_000_000 };
    const { writer, accept, states } = life(db, clock, 100);
    for (let i = 0; i < 100; i++) accept(NODES[i % 4] as string, 1 + Math.floor(i / 4), 3.7);
    const rowFrames = db.prepare("SELECT frames FROM node_state WHERE node = 'pir-01'").pluck();
    expect(rowFrames.get()).toBe(25);
    clock.now += 30_000;
    for (let i = 100; i < 200; i++) accept(NODES[i % 4] as string, 1 + Math.floor(i / 4), 3.6);
    expect(writer.committedReadings).toBe(200);
    // The row still holds the first commit; the 100 readings after the mark complete it.
    expect(rowFrames.get()).toBe(25);
    expect(loadReadOnly(join(dir, 'siaga.db'))).toEqual(states);
    // Once a minute has passed, the deferred states are written without waiting for a reading.
    clock.now += 30_000;
    vi.advanceTimersByTime(30_000);
    expect(rowFrames.get()).toBe(50);
    writer.close();
    expect(db.prepare('SELECT count(*) FROM meta WHERE key = ?').pluck().get(NODE_STATE_MARK)).toBe(0);
    db.close();
  });

  it('the mark is written only when the rows fall behind and cleared when they catch up, not with every commit (P9: a meta page per commit)', () => {
    const db = openDb(join(dir, 'siaga.db'));
    db.exec(`CREATE TABLE meta_writes (n INTEGER);
      INSERT INTO meta_writes VALUES (0);
      CREATE TRIGGER meta_ins AFTER INSERT ON meta BEGIN UPDATE meta_writes SET n = n + 1; END;
      CREATE TRIGGER meta_upd AFTER UPDATE ON meta BEGIN UPDATE meta_writes SET n = n + 1; END;
      CREATE TRIGGER meta_del AFTER DELETE ON meta BEGIN UPDATE meta_writes SET n = n + 1; END;`);
    const metaWrites = db.prepare('SELECT n FROM meta_writes').pluck();
    const mark = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
    const clock = { now: 1_763_892_000_000 };
    const { writer, accept, states } = life(db, clock, 100);
    let seq = 0;
    const commitOf100 = () => {
      seq++;
      for (let i = 0; i < 100; i++)
        accept(NODES[i % 4] as string, 25 * (seq - 1) + 1 + Math.floor(i / 4), 3.7);
    };
    // Commits more than a minute apart write every row each time, and no mark.
    for (let c = 0; c < 5; c++) {
      commitOf100();
      clock.now += 61_000;
    }
    expect(writer.committedReadings).toBe(500);
    expect(metaWrites.get()).toBe(0);
    // A quiet night's commits 5 s apart defer the rows; one mark, at the last reading they hold.
    for (let c = 0; c < 5; c++) {
      commitOf100();
      clock.now += 5_000;
    }
    expect(metaWrites.get()).toBe(1);
    expect(Number(mark.get(NODE_STATE_MARK))).toBe(600);
    expect(loadReadOnly(join(dir, 'siaga.db'))).toEqual(states);
    // The rows catch up: the mark goes, and loading needs no replay.
    clock.now += 60_000;
    vi.advanceTimersByTime(60_000);
    expect(metaWrites.get()).toBe(2);
    expect(mark.get(NODE_STATE_MARK)).toBeUndefined();
    writer.close();
    db.close();
  });

  it('a node silent after a crash keeps what the replay gave it, through the next crash too', () => {
    const path = join(dir, 'siaga.db');
    const clock = { now: 1_763_892_000_000 };
    const seis = twoCommitsThenCrash(path, clock);
    // Restart, only pir-01 speaks, kill -9 again.
    const db = openDb(path);
    const second = life(db, clock, 100);
    clock.now += 300;
    for (let i = 0; i < 100; i++) second.accept('pir-01', 51 + i, 3.7);
    vi.clearAllTimers();
    db.close();
    const loaded = loadReadOnly(path);
    expect(loaded.get('seis-02')).toEqual(seis);
    expect(loaded.get('pir-01')).toMatchObject({ seq: 150, frames: 150 });
  });

  it('a node silent after a start that could not write the replayed states back keeps them once the disk takes writes again', () => {
    const path = join(dir, 'siaga.db');
    const clock = { now: 1_763_892_000_000 };
    const seis = twoCommitsThenCrash(path, clock);
    // The restart cannot write the replay back; then only pir-01 speaks, a minute passes (its
    // row is written and the mark goes), and kill -9 again.
    const db = openDb(path);
    const second = life(db, clock, 100, { failWriteBack: true });
    expect(db.prepare("SELECT frames FROM node_state WHERE node = 'seis-02'").pluck().get()).toBe(25);
    clock.now += 300;
    for (let i = 0; i < 100; i++) second.accept('pir-01', 51 + i, 3.7);
    clock.now += 60_000;
    vi.advanceTimersByTime(60_000);
    expect(db.prepare('SELECT count(*) FROM meta WHERE key = ?').pluck().get(NODE_STATE_MARK)).toBe(0);
    vi.clearAllTimers();
    db.close();
    const loaded = loadReadOnly(path);
    expect(loaded.get('seis-02')).toEqual(seis);
    expect(loaded.get('pir-01')).toMatchObject({ seq: 150, frames: 150 });
  });

  it('at 1,000 readings a second the rows are written every 5,000 readings, so a start after a crash replays no more', () => {
    const path = join(dir, 'siaga.db');
    const db = openDb(path);
    const clock = { now: 1_763_892_000_000 };
    const { accept, states } = life(db, clock, 100);
    const mark = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
    const newest = db.prepare('SELECT max(rid) FROM readings').pluck();
    const marks = new Set<number>();
    let worst = 0;
    // 12 s of 100-row commits 100 ms apart: well within the minute.
    for (let c = 0; c < 120; c++) {
      for (let i = 0; i < 100; i++) accept(NODES[i % 4] as string, 25 * c + 1 + Math.floor(i / 4), 3.7);
      clock.now += 100;
      const m = mark.get(NODE_STATE_MARK) as string | undefined;
      if (m === undefined) continue;
      marks.add(Number(m));
      worst = Math.max(worst, (newest.get() as number) - Number(m));
    }
    expect(worst).toBeGreaterThan(4_000);
    expect(worst).toBeLessThanOrEqual(5_000);
    // Written twice within the 12,000 readings, not deferred for the whole minute.
    expect(marks.size).toBeGreaterThanOrEqual(2);
    vi.clearAllTimers();
    db.close();
    expect(loadReadOnly(path)).toEqual(states);
  });

  it('whatever the readings, commit sizes, clock steps and crashes, a restart loads the states as they were at the last commit', () => {
    const step = fc.oneof(
      // A frame: the next seq mostly, sometimes a gap, a repeat (duplicate) or a node reset.
      {
        weight: 30,
        arbitrary: fc.record({
          kind: fc.constant('frame' as const),
          node: fc.constantFrom(...NODES),
          jump: fc.constantFrom(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 0, -2000),
          bat: fc.constantFrom(3.7, 3.7, 3.7, 3.7, 3.7, 3.7, 3.71, 3.72, 3.9, 3.3),
          rssi: fc.option(fc.integer({ min: -130, max: -40 }), { nil: undefined }),
        }),
      },
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('tick' as const),
          ms: fc.oneof(fc.integer({ min: 0, max: 700 }), fc.integer({ min: 0, max: 70_000 })),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ kind: fc.constant('offline' as const), node: fc.constantFrom(...NODES) }),
      },
      { weight: 1, arbitrary: fc.constant({ kind: 'crash' as const }) },
    );
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 300 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 120 }),
        (steps, maxRows, everyReadings) => {
          const path = join(dir, `p-${Math.random().toString(36).slice(2)}.db`);
          const clock = { now: 1_763_892_000_000 };
          let db = openDb(path);
          let g = life(db, clock, maxRows, { everyReadings });
          const seqs = new Map<string, number>(NODES.map((n) => [n, 5000]));
          for (const s of steps) {
            if (s.kind === 'frame') {
              const seq = Math.max(0, (seqs.get(s.node) as number) + s.jump);
              seqs.set(s.node, seq);
              g.accept(s.node, seq, s.bat, s.rssi);
            } else if (s.kind === 'tick') {
              clock.now += s.ms;
            } else if (s.kind === 'offline') {
              const st = g.tracker.state(s.node);
              st.online = false;
              g.writer.touchNode(st);
            } else {
              // kill -9: what was pending is lost, deferred node states were never written.
              const before = g.atCommit.states;
              vi.clearAllTimers();
              db.close();
              db = openDb(path);
              g = life(db, clock, maxRows, { everyReadings });
              expect(g.states).toEqual(before);
            }
          }
          g.writer.flush();
          const expected = copy(g.states);
          expect(loadReadOnly(path)).toEqual(expected);
          // A clean stop writes every row: the table alone is complete and no mark is left.
          g.writer.close();
          const rows = db.prepare('SELECT count(*) FROM meta WHERE key = ?').pluck().get(NODE_STATE_MARK);
          expect(rows).toBe(0);
          expect(loadNodeStates(db)).toEqual(expected);
          vi.clearAllTimers();
          db.close();
        },
      ),
      { numRuns: 40 },
    );
  });
});
