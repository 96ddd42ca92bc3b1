import type { Logger } from 'pino';
import type { NeighbourConfig } from '../config/schema-neighbours.js';
import type { ExternalEvidence } from '../detect/external.js';
import type { EngineOutput } from '../detect/types.js';
import type { Clock, Level } from '../domain/index.js';
import { type IgnoredReason, judgeNeighbourEvent, type NeighbourRule } from './judge.js';

/** How we hear a neighbour: through the centre, through its own local broker. */
export type NeighbourPath = 'centre' | 'mesh';

/** One neighbour in `siaga status`. */
export interface NeighbourStatus {
  gateway: string;
  /** Per path we listen on: whether it is up now. */
  links: Partial<Record<NeighbourPath, boolean>>;
  /** Its newest level event we took (accepted or withdrawing), or null. */
  last_event: { ts: number; zone: string; level: Level; received: number } | null;
  /** Level events taken as pre-alerts or all-clears. */
  accepted: number;
  /** Messages ignored, by reason. */
  ignored: Partial<Record<IgnoredReason, number>>;
}

export interface NeighbourIntakeDeps {
  clock: Clock;
  log: Logger;
  engine: {
    external(zone: string, ev: ExternalEvidence): EngineOutput;
    withdraw(source: string): void;
  };
  /** Acts on what a pre-alert did to our zones (level events; sirens ignore neighbour-only levels). */
  onEngine(out: EngineOutput): void;
  /** Counts an ignored message in the gateway's counters (scope `neighbours`). */
  count(reason: IgnoredReason): void;
}

/**
 * Takes neighbours' level events, whichever path brought them, into the detection engine:
 * judged by `judgeNeighbourEvent`, remembered per source so a late duplicate cannot undo a newer
 * all-clear, counted for `siaga status`.
 */
export class NeighbourIntake {
  private rules = new Map<string, NeighbourRule>();
  private readonly lastTs = new Map<string, number>();
  private readonly stats = new Map<string, NeighbourStatus>();

  constructor(private readonly deps: NeighbourIntakeDeps) {}

  /** Installs the configured neighbours; the counts of those that stay are kept. */
  configure(neighbours: readonly NeighbourConfig[]): void {
    this.rules = new Map(neighbours.map((n) => [n.gateway, n]));
    for (const gw of [...this.stats.keys()]) if (!this.rules.has(gw)) this.stats.delete(gw);
    for (const n of neighbours) {
      const links: NeighbourStatus['links'] = {};
      this.stats.set(n.gateway, {
        ...(this.stats.get(n.gateway) ?? { gateway: n.gateway, last_event: null, accepted: 0, ignored: {} }),
        links,
      });
    }
  }

  /** A path to `gateway` went up or down (or is listened on at all). */
  link(gateway: string, path: NeighbourPath, up: boolean): void {
    const s = this.stats.get(gateway);
    if (s) s.links[path] = up;
  }

  /** A message on `gateway`'s events topic (the topic or the broker connection names the gateway). */
  receive(gateway: string, payload: Buffer | string): void {
    const { clock, engine, log } = this.deps;
    const now = clock.now();
    const v = judgeNeighbourEvent(gateway, payload, now, this.rules, (src) => this.lastTs.get(src));
    const s = this.stats.get(gateway);
    switch (v.act) {
      case 'skip':
        return;
      case 'ignore':
        this.ignored(gateway, v.reason);
        return;
      case 'withdraw': {
        if (v.ignored) this.ignored(gateway, v.ignored);
        this.lastTs.set(v.source, v.ts);
        engine.withdraw(v.source);
        this.taken(s, v.ts, v.source, v.level, now);
        log.info({ source: v.source, level: v.level, local: !v.ignored }, 'neighbour pre-alert withdrawn');
        return;
      }
      case 'evidence': {
        this.lastTs.set(v.evidence.source, v.evidence.ts);
        this.taken(s, v.evidence.ts, v.evidence.source, v.level, now);
        log.info({ source: v.evidence.source, zone: v.zone, level: v.level }, 'neighbour pre-alert');
        this.deps.onEngine(engine.external(v.zone, v.evidence));
        return;
      }
    }
  }

  status(): NeighbourStatus[] {
    return [...this.stats.values()].map((s) => ({ ...s, links: { ...s.links }, ignored: { ...s.ignored } }));
  }

  private ignored(gateway: string, reason: IgnoredReason): void {
    this.deps.count(reason);
    const s = this.stats.get(gateway);
    if (s) s.ignored[reason] = (s.ignored[reason] ?? 0) + 1;
    this.deps.log.debug({ gateway, reason }, 'neighbour message ignored');
  }

  private taken(s: NeighbourStatus | undefined, ts: number, source: string, level: Level, now: number): void {
    if (!s) return;
    s.accepted++;
    s.last_event = { ts, zone: source.slice(source.indexOf('/') + 1), level, received: now };
  }
}
