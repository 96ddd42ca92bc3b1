import type { Level } from '../domain/index.js';
import type { Held, NodeBucket } from './window.js';
import { fromMicro } from './window.js';

/** Scores in events and texts: one decimal is enough for people and keeps 63.7 readable. */
export const roundScore = (x: number): number => Math.round(x * 10) / 10;

/** How many nodes a reason names before it says "+N more". */
const MAX_PARTS = 6;

const NOUN: Record<string, string> = {
  pir: 'motion',
  seis: 'footfalls',
  beam: 'beam cuts',
  fence: 'fence low',
};

export interface NodeLine {
  node: string;
  /** Micro-points the node adds to the zone score (after the cap). */
  micro: number;
  /** The node pressed a panic button that is in the window. */
  alarm: boolean;
  text: string;
}

/** One line per node: what it reported inside the window, e.g. "seis-03 footfalls ×3 (40)". */
export function describeNode(b: NodeBucket, capMicro: number): NodeLine {
  const items = b.live();
  const micro = b.contribution(capMicro);
  const alarm = items.some((h) => h.ev.manual === 'alarm');
  const first = items[0];
  if (first === undefined) return { node: b.node, micro, alarm, text: b.node };
  if (items.length === 1) return { node: b.node, micro, alarm, text: first.ev.text };
  const latest = items[items.length - 1] as Held;
  if (latest.ev.type === 'btn') return { node: b.node, micro, alarm, text: latest.ev.text };
  const pts = roundScore(fromMicro(micro));
  const noun = NOUN[first.ev.type];
  if (noun !== undefined && items.every((h) => h.ev.type === first.ev.type)) {
    const n = items.reduce((s, h) => s + h.ev.count, 0);
    return { node: b.node, micro, alarm, text: `${b.node} ${noun} ×${n} (${pts})` };
  }
  // Strong evidence (cam, gps): the best sighting speaks for the rest.
  let best = first;
  for (const h of items) if (h.micro >= best.micro) best = h;
  return { node: b.node, micro, alarm, text: `${best.ev.text} ×${items.length} (${pts})` };
}

/** Nodes strongest first (ties by id, so output is deterministic); a pressed button leads a manual alarm. */
export function rankNodes(buckets: Iterable<NodeBucket>, capMicro: number, manual: boolean): NodeLine[] {
  const lines = [...buckets].map((b) => describeNode(b, capMicro));
  return lines.sort(
    (a, b) =>
      (manual ? Number(b.alarm) - Number(a.alarm) : 0) ||
      b.micro - a.micro ||
      (a.node < b.node ? -1 : a.node > b.node ? 1 : 0),
  );
}

function listParts(lines: NodeLine[]): string {
  const shown = lines.slice(0, MAX_PARTS).map((l) => l.text);
  if (lines.length > MAX_PARTS) shown.push(`+${lines.length - MAX_PARTS} more`);
  return shown.join('; ');
}

/** "AWAS: cam-02 saw an elephant (conf 0.91); seis-03 footfalls ×3 (40); score 103.7" */
export function escalationReason(level: Level, lines: NodeLine[], score: number, manual: boolean): string {
  const parts = listParts(lines);
  const head = manual ? 'manual alarm: ' : '';
  return `${level}: ${head}${parts === '' ? 'no evidence' : parts}; score ${roundScore(score)}`;
}

/** "SIAGA: score 45 stayed below AWAS (100) for 900 s; still: seis-03 footfalls ×2 (40)" */
export function deescalationReason(
  level: Level,
  from: Level,
  threshold: number,
  holdS: number,
  lines: NodeLine[],
  score: number,
): string {
  const parts = listParts(lines.filter((l) => l.micro > 0));
  const head = level === 'NORMAL' ? 'NORMAL: all clear — ' : `${level}: `;
  const still = parts === '' ? '' : `; still: ${parts}`;
  return `${head}score ${roundScore(score)} stayed below ${from} (${threshold}) for ${holdS} s${still}`;
}
