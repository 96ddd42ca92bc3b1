import { decodeTime } from 'ulid';
import type { Radio, Reading, Values } from '../domain/index.js';
import type { Db } from './db.js';
import { multiRowRunner, valueRows } from './multi-row.js';

/** What the gateway remembers per node across restarts (docs/behaviour.md, Node health). */
export interface NodeState {
  node: string;
  seq: number | null;
  lost: number;
  resets: number;
  dups: number;
  frames: number;
  last_seen: number | null;
  bat: number | null;
  rssi: number | null;
  /** null: not yet decided since start */
  online: boolean | null;
  bat_low: boolean;
}

interface Row extends Omit<NodeState, 'online' | 'bat_low'> {
  online: number | null;
  bat_low: number;
}

export function emptyNodeState(node: string): NodeState {
  return {
    node,
    seq: null,
    lost: 0,
    resets: 0,
    dups: 0,
    frames: 0,
    last_seen: null,
    bat: null,
    rssi: null,
    online: null,
    bat_low: false,
  };
}

/**
 * What every accepted reading does to its node's state, whatever its sequence verdict: the part
 * a replay of the stored readings can rebuild (`seenAt` is the gateway's time when it arrived).
 */
export function noteReading(s: NodeState, r: Pick<Reading, 'seq' | 'v' | 'radio'>, seenAt: number): void {
  s.frames++;
  s.seq = r.seq;
  s.last_seen = seenAt;
  const bat = r.v.bat;
  if (typeof bat === 'number') s.bat = bat;
  const rssi = r.radio?.rssi ?? r.v.rssi;
  if (typeof rssi === 'number') s.rssi = rssi;
}

/**
 * `meta` key: the rowid of the last reading whose effect the node_state rows hold. The writer
 * rewrites the rows about once a minute rather than with every commit (NodeStateWrites); the
 * readings committed after this mark are replayed on load. No mark: the rows are complete.
 */
export const NODE_STATE_MARK = 'node_state_rid';

interface ReplayRow {
  rid: number;
  id: string;
  node: string;
  seq: number;
  ts: number;
  v: string;
  radio: string | null;
}

/** The gateway's receive time of a stored reading: its ULID's time part (ingest.ts), else its ts. */
function seenAtOf(r: ReplayRow): number {
  try {
    return decodeTime(r.id);
  } catch {
    return r.ts;
  }
}

/**
 * Node states as the gateway last knew them: the rows, plus the readings committed after the
 * mark. A writable connection (the gateway starting after a crash) writes the replayed states
 * back and removes the mark (the rows are complete again), so the writer's next partial write
 * cannot lose them. When that write fails (a full or read-only disk must not stop the start),
 * `unsaved` gets the replayed states: the caller hands them to the writer, whose next successful
 * commit writes them before it removes the mark.
 */
export function loadNodeStates(
  db: Db,
  opts: { unsaved?: (states: NodeState[]) => void } = {},
): Map<string, NodeState> {
  const rows = db.prepare('SELECT * FROM node_state').all() as Row[];
  const states = new Map(
    rows.map((r) => [
      r.node,
      { ...r, online: r.online === null ? null : r.online === 1, bat_low: r.bat_low === 1 },
    ]),
  );
  const mark = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(NODE_STATE_MARK) as
    | string
    | undefined;
  if (mark === undefined) return states;
  const touched = new Map<string, NodeState>();
  const after = db.prepare(
    'SELECT rid, id, node, seq, ts, v, radio FROM readings WHERE rid > ? ORDER BY rid',
  );
  for (const r of after.iterate(Number(mark)) as IterableIterator<ReplayRow>) {
    let s = states.get(r.node);
    if (s === undefined) {
      s = emptyNodeState(r.node);
      states.set(r.node, s);
    }
    const reading: Pick<Reading, 'seq' | 'v' | 'radio'> = { seq: r.seq, v: JSON.parse(r.v) as Values };
    if (r.radio !== null) reading.radio = JSON.parse(r.radio) as Radio;
    noteReading(s, reading, seenAtOf(r));
    // Whatever made a node come online forced a write of the rows (NodeStateWrites).
    s.online = true;
    touched.set(r.node, s);
  }
  if (!db.readonly) {
    try {
      db.transaction(() => {
        if (touched.size > 0) nodeStatesWriter(db)([...touched.values()]);
        nodeStateUnmarker(db)();
      })();
    } catch {
      // The states are right in memory and the mark stays. Left there, the writer's first commit
      // of other nodes' rows would remove the mark, and a node silent since would lose what this
      // replay gave it (its frames and last seen): the writer must write these rows too.
      if (touched.size > 0) opts.unsaved?.([...touched.values()]);
    }
  }
  return states;
}

/** The fields of a node's state a replay of its readings cannot rebuild. */
interface Unreplayable {
  lost: number;
  resets: number;
  dups: number;
  online: boolean | null;
  bat_low: boolean;
}

/**
 * When the writer rewrites node_state. At 100 readings per commit from 50 nodes, a commit
 * rewrote ~50 rows: a fifth of the store's time per reading (P1); on a quiet night, with a commit
 * every 5 s, the rows' pages were a tenth of what the SD card was written per reading (P9). The
 * part of a state every reading changes (seq, frames, last seen, battery, rssi) is rebuilt from
 * the readings after the mark (loadNodeStates), so it is written at most every `everyMs`, or
 * sooner once `everyReadings` readings are behind, which bounds that replay at a start after a
 * crash whatever the rate; a change that a replay cannot rebuild (lost, resets, duplicates,
 * online, battery flag, a node heard for the first time) is written in the same commit as ever.
 */
export class NodeStateWrites {
  private readonly written = new Map<string, Unreplayable>();
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly everyMs: number,
    private readonly everyReadings: number,
  ) {}

  /**
   * Whether the commit at `now` must write `dirty` (the states changed since the last write);
   * `behind`: the readings committed since the last write, this commit's included.
   */
  due(dirty: Iterable<NodeState>, now: number, behind: number): boolean {
    if (now - this.lastAt >= this.everyMs || now < this.lastAt || behind >= this.everyReadings) return true;
    for (const s of dirty) {
      const w = this.written.get(s.node);
      if (
        w === undefined ||
        w.lost !== s.lost ||
        w.resets !== s.resets ||
        w.dups !== s.dups ||
        w.online !== s.online ||
        w.bat_low !== s.bat_low
      ) {
        return true;
      }
    }
    return false;
  }

  /** When the last write is this old, the deferred states are written without waiting for a reading. */
  nextAt(): number {
    return this.lastAt + this.everyMs;
  }

  /** `states` were committed at `now`. */
  wrote(states: Iterable<NodeState>, now: number): void {
    this.lastAt = now;
    for (const s of states) {
      this.written.set(s.node, {
        lost: s.lost,
        resets: s.resets,
        dups: s.dups,
        online: s.online,
        bat_low: s.bat_low,
      });
    }
  }
}

/** Sets the node-state mark inside the caller's transaction. */
export function nodeStateMarker(db: Db): (rid: number) => void {
  const set = db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  return (rid) => {
    set.run(NODE_STATE_MARK, String(rid));
  };
}

/** Removes the node-state mark inside the caller's transaction: the rows are complete. */
export function nodeStateUnmarker(db: Db): () => void {
  const del = db.prepare('DELETE FROM meta WHERE key = ?');
  return () => {
    del.run(NODE_STATE_MARK);
  };
}

const COLUMNS = 11;
const UPSERT = `INSERT INTO node_state (node, seq, lost, resets, dups, frames, last_seen, bat, rssi, online,
  bat_low) VALUES `;
const ON_CONFLICT = ` ON CONFLICT (node) DO UPDATE SET seq = excluded.seq, lost = excluded.lost,
  resets = excluded.resets, dups = excluded.dups, frames = excluded.frames, last_seen = excluded.last_seen,
  bat = excluded.bat, rssi = excluded.rssi, online = excluded.online, bat_low = excluded.bat_low`;

function putState(to: unknown[], at: number, s: NodeState): void {
  to[at] = s.node;
  to[at + 1] = s.seq;
  to[at + 2] = s.lost;
  to[at + 3] = s.resets;
  to[at + 4] = s.dups;
  to[at + 5] = s.frames;
  to[at + 6] = s.last_seen;
  to[at + 7] = s.bat;
  to[at + 8] = s.rssi;
  to[at + 9] = s.online === null ? null : s.online ? 1 : 0;
  to[at + 10] = s.bat_low ? 1 : 0;
}

/**
 * Prepared multi-row upsert, run inside the group-commit transaction so seq and readings stay
 * consistent. At 100 readings per commit from 50 nodes every commit rewrites ~50 rows: one UPDATE
 * each cost a quarter of the commit's CPU (P1); as upserts of up to 64 rows (multi-row.ts) it is
 * three statements. Positional values: the object spread and named binding of the first upsert
 * were a tenth of P1's time.
 */
export function nodeStatesWriter(db: Db): (states: readonly NodeState[]) => void {
  const upsert = multiRowRunner(db, (k) => UPSERT + valueRows(k, COLUMNS) + ON_CONFLICT, COLUMNS, putState);
  return (states) => {
    upsert(states);
  };
}

/** One node's state (the batch writer with one row). */
export function nodeStateWriter(db: Db): (s: NodeState) => void {
  const write = nodeStatesWriter(db);
  return (s) => write([s]);
}
