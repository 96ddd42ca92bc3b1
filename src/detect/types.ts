import type { Level } from '../domain/index.js';

/** A zone moved from one level to another. Stored as a `level` event and sent with priority. */
export interface LevelChange {
  zone: string;
  level: Level;
  prev: Level;
  /** Zone score at the moment of the change. */
  score: number;
  /** Nodes whose evidence is in the window, strongest first. */
  nodes: string[];
  /** Human-readable: what was seen, by whom (shown to villagers, technicians and the centre). */
  reason: string;
  ts: number;
  /** The level went back to NORMAL: the danger has passed. */
  allClear: boolean;
  /** Raised by a panic/manual button: sirens sound even when the zone is silenced. */
  manual: boolean;
  /**
   * The level rests on local evidence: this gateway's own nodes alone reach it (or a button).
   * False when a neighbour's pre-alert is needed for it; neighbours never take such a level as a
   * pre-alert source, so a pre-alert cannot loop back. Absent in hand-made changes: local.
   */
  local?: boolean;
  /** Only neighbour evidence is in the window: the sirens treat the level as WASPADA at most. */
  neighbourOnly?: boolean;
}

/** Something the engine noticed that is not a level change (fence voltage dropped, …). */
export interface Notice {
  kind: 'fence_low';
  zone: string;
  node: string;
  fields: Record<string, unknown>;
}

/** What one reading (or one clock tick) did to the zones. */
export interface EngineOutput {
  changes: LevelChange[];
  /**
   * Zones whose level did not change but that got new scoring evidence while at or above
   * WASPADA: the siren controller restarts its max_activation timer for them.
   */
  retriggered: string[];
  /**
   * Zones in `retriggered` where the new evidence was a panic-button press: the level was already
   * AWAS, but a press is a manual alarm and sounds even through a silence.
   */
  pressed?: string[];
  notices: Notice[];
  /** The reading was evidence (it scored, or would have but for a cap): storage commits it at once. */
  evidence?: boolean;
}

/** Current state of one zone, for status and the uplink's retained status. */
export interface ZoneState {
  zone: string;
  level: Level;
  score: number;
  since: number;
  manual: boolean;
}
