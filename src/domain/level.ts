/** Zone alert levels, in increasing order of danger (docs/behaviour.md, Detection). */
export const LEVELS = ['NORMAL', 'WASPADA', 'SIAGA', 'AWAS'] as const;
export type Level = (typeof LEVELS)[number];

export function levelRank(level: Level): number {
  return LEVELS.indexOf(level);
}

export function isLevel(s: string): s is Level {
  return (LEVELS as readonly string[]).includes(s);
}
