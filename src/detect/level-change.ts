import type { Level } from '../domain/index.js';
import { levelRank } from '../domain/index.js';
import { corroborationText } from './corroboration.js';
import { NEIGHBOUR_KEY } from './external.js';
import { deescalationReason, escalationReason, type NodeLine, rankNodes, roundScore } from './reason.js';
import type { LevelChange } from './types.js';
import { fromMicro, type ZoneWindow } from './window.js';
import type { ZoneScoring } from './zone-scoring.js';

/** Which zone moved, from where to where, when, and whether a button did it. */
export interface LevelMove {
  zone: string;
  level: Level;
  prev: Level;
  now: number;
  manual: boolean;
}

/** A zone raised to `m.level`: the reason names what was seen, then `suffix` (restart, reload). */
export function raisedChange(s: ZoneScoring, win: ZoneWindow, m: LevelMove, suffix: string): LevelChange {
  return describe(s, win, m, (lines, score) => escalationReason(m.level, lines, score, m.manual) + suffix);
}

/** A zone stepped down one level after `holdS` below the threshold of the level it left. */
export function loweredChange(s: ZoneScoring, win: ZoneWindow, m: LevelMove, holdS: number): LevelChange {
  const left = fromMicro(s.threshold(m.prev));
  return describe(s, win, m, (lines, score) =>
    deescalationReason(m.level, m.prev, left, holdS, lines, score),
  );
}

function describe(
  s: ZoneScoring,
  win: ZoneWindow,
  m: LevelMove,
  reason: (lines: NodeLine[], score: number) => string,
): LevelChange {
  const score = fromMicro(s.micro(win));
  const lines = reasonLines(s, win, m.manual);
  return {
    ...sources(s, win, m.level, m.manual),
    zone: m.zone,
    level: m.level,
    prev: m.prev,
    score: roundScore(score),
    nodes: nodeIds(lines),
    reason: reason(lines, score),
    ts: m.now,
    // A raise never lands on NORMAL, so only a step down can be the all-clear.
    allClear: m.level === 'NORMAL',
    manual: m.manual,
  };
}

/** Whether `level` rests on local evidence, and whether only neighbour evidence is left. */
function sources(
  s: ZoneScoring,
  win: ZoneWindow,
  level: Level,
  manual: boolean,
): Pick<LevelChange, 'local' | 'neighbourOnly'> {
  const nb = win.bucket(NEIGHBOUR_KEY)?.contribution(win.cap) ?? 0;
  const localMicro = s.micro(win) - nb;
  const local = manual || levelRank(s.levelFor(localMicro)) >= levelRank(level);
  return nb > 0 && localMicro === 0 && !manual ? { local, neighbourOnly: true } : { local };
}

/**
 * The nodes of a reason, strongest first, and the agreement they earned as a line of its own:
 * first (it is why the level is what it is), or right after the button of a manual alarm.
 */
function reasonLines(s: ZoneScoring, win: ZoneWindow, manual: boolean): NodeLine[] {
  const lines = rankNodes(win.buckets.values(), win.cap, manual);
  const c = s.corroboration(win);
  if (c.micro === 0) return lines;
  const agree = {
    node: '',
    micro: c.micro,
    alarm: false,
    text: corroborationText(c, roundScore(fromMicro(c.micro))),
  };
  const at = manual ? 1 : 0;
  return [...lines.slice(0, at), agree, ...lines.slice(at)];
}

/** The nodes a reason names (the corroboration line names kinds, not a node). */
const nodeIds = (lines: readonly NodeLine[]): string[] =>
  lines.filter((l) => l.node !== '').map((l) => l.node);
