import type { EngineOutput } from '../detect/types.js';
import type { EventSink } from '../domain/index.js';

/** The part of the siren controller that acts on detection. */
export interface EngineListener {
  onEngineOutput(out: EngineOutput): void;
}

/**
 * What one reading or tick did to the zones, acted on: the sirens first (the path measured at
 * p99 ≤ 10 ms), then `level` and notice events, which go to the disk and the centre.
 */
export function applyEngineOutput(out: EngineOutput, sirens: EngineListener, events: EventSink): void {
  if (out.changes.length > 0 || out.retriggered.length > 0) sirens.onEngineOutput(out);
  for (const c of out.changes) {
    events.emit('level', {
      zone: c.zone,
      level: c.level,
      prev: c.prev,
      score: c.score,
      nodes: c.nodes,
      reason: c.reason,
      manual: c.manual,
      // Neighbours take only a level raised by local evidence as a pre-alert (no loops).
      ...(c.local !== undefined ? { local: c.local } : {}),
      ...(c.allClear ? { all_clear: true } : {}),
    });
  }
  for (const n of out.notices) events.emit(n.kind, { zone: n.zone, node: n.node, ...n.fields });
}
