import type { Level } from '../domain/index.js';
import { sourceGateway } from './external.js';
import type { NodeBucket } from './window.js';
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
  const micro = b.contribution(capMicro);
  if (b.type === 'neighbour') return neighbourLine(b, micro);
  const strong = b.strongItems();
  const alarm = strong.some((ev) => ev.manual === 'alarm');
  const line = (text: string): NodeLine => ({ node: b.node, micro, alarm, text });
  const latest = b.latest;
  if (latest === undefined) return line(b.node);
  if (b.size === 1 || b.type === 'btn') return line(latest.text);
  const pts = roundScore(fromMicro(micro));
  const noun = NOUN[b.type];
  if (noun !== undefined) return line(`${b.node} ${noun} ×${b.detections()} (${pts})`);
  // Strong evidence (cam, gps): the best sighting speaks for the rest.
  let best = latest;
  for (const ev of strong) if (ev.score > best.score) best = ev;
  return line(`${best.text} ×${b.size} (${pts})`);
}

/** Neighbour pre-alerts: each source's newest text, e.g. "gw-braja-02 AWAS 1.2 km west". */
function neighbourLine(b: NodeBucket, micro: number): NodeLine {
  const latest = new Map<string, { gw: string; text: string }>();
  for (const { ev } of b.items()) {
    const source = ev.source ?? ev.node;
    latest.set(source, { gw: sourceGateway(source), text: ev.text });
  }
  const items = [...latest.values()];
  const gateways = [...new Set(items.map((i) => i.gw))];
  return { node: gateways.join(','), micro, alarm: false, text: items.map((i) => i.text).join('; ') };
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
