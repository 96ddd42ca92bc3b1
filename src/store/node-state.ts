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

/** Prepared upsert, run inside the group-commit transaction so seq and readings stay consistent. */
export function nodeStateWriter(db: Db): (s: NodeState) => void {
  const stmt =
    db.prepare(`INSERT INTO node_state (node, seq, lost, resets, dups, frames, last_seen, bat, rssi, online, bat_low)
    VALUES (@node, @seq, @lost, @resets, @dups, @frames, @last_seen, @bat, @rssi, @online, @bat_low)
    ON CONFLICT(node) DO UPDATE SET seq = excluded.seq, lost = excluded.lost, resets = excluded.resets,
      dups = excluded.dups, frames = excluded.frames, last_seen = excluded.last_seen, bat = excluded.bat,
      rssi = excluded.rssi, online = excluded.online, bat_low = excluded.bat_low`);
  return (s) => {
    stmt.run({ ...s, online: s.online === null ? null : s.online ? 1 : 0, bat_low: s.bat_low ? 1 : 0 });
  };
}
