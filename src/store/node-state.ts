import type { Db } from './db.js';

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

export function loadNodeStates(db: Db): Map<string, NodeState> {
  const rows = db.prepare('SELECT * FROM node_state').all() as Row[];
  return new Map(
    rows.map((r) => [
      r.node,
      { ...r, online: r.online === null ? null : r.online === 1, bat_low: r.bat_low === 1 },
    ]),
  );
}

/**
 * Prepared upsert, run inside the group-commit transaction so seq and readings stay consistent.
 * An UPDATE with positional values first (the row exists for every node heard before), an INSERT
 * only when it changed nothing: a commit writes up to one row per node, and the object spread and
 * named binding of an upsert were a tenth of P1's time.
 */
export function nodeStateWriter(db: Db): (s: NodeState) => void {
  const update = db.prepare(`UPDATE node_state SET seq = ?, lost = ?, resets = ?, dups = ?, frames = ?,
    last_seen = ?, bat = ?, rssi = ?, online = ?, bat_low = ? WHERE node = ?`);
  const insert = db.prepare(`INSERT INTO node_state (seq, lost, resets, dups, frames, last_seen, bat, rssi,
    online, bat_low, node) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const args: unknown[] = new Array(11);
  return (s) => {
    args[0] = s.seq;
    args[1] = s.lost;
    args[2] = s.resets;
    args[3] = s.dups;
    args[4] = s.frames;
    args[5] = s.last_seen;
    args[6] = s.bat;
    args[7] = s.rssi;
    args[8] = s.online === null ? null : s.online ? 1 : 0;
    args[9] = s.bat_low ? 1 : 0;
    args[10] = s.node;
    if (update.run(args).changes === 0) insert.run(args);
  };
}
