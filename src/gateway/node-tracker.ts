import { checkSeq, type SeqVerdict } from '../codecs/sequence.js';
import { EXPECT_EVERY_S } from '../config/expect-every.js';
import type { NodeConfig } from '../config/schema.js';
import type { EventSink, Reading } from '../domain/index.js';
import { emptyNodeState, type NodeState, noteReading } from '../store/node-state.js';

/** Battery-low default per node type: 3.4 V cells, 12 V lead-acid for fence monitors. */
export function batLowOf(n: NodeConfig): number {
  return n.bat_low ?? (n.type === 'fence' ? 11.5 : 3.4);
}

export function expectEveryOf(n: NodeConfig): number {
  return n.expect_every_s ?? EXPECT_EVERY_S[n.type];
}

/** Hysteresis so a battery hovering at the limit does not flap events all night. */
const BAT_HYSTERESIS_V = 0.1;
/** At most one seq_gap event per node this often; the lost count keeps accumulating in between. */
const SEQ_GAP_EVENT_EVERY_MS = 10 * 60_000;

export type SeqOutcome = SeqVerdict['kind'];

export interface NodeTrackerDeps {
  nodes: NodeConfig[];
  states: Map<string, NodeState>;
  events: EventSink;
  /** Start time: nodes never heard of get this long a grace before they count as offline. */
  startedAt: number;
  /** A node's state changed in a way the centre should see (retained nodes/<node>). */
  onChange?: (s: NodeState) => void;
}

/**
 * Per-node sequence, health and battery state (docs/wire.md §1 "Sequence numbers", docs/behaviour.md
 * "Node health"). The state objects are the ones the store writer persists with the readings.
 */
export class NodeTracker {
  private configs: Map<string, NodeConfig>;
  private readonly states: Map<string, NodeState>;
  private readonly gapSince = new Map<string, { lost: number; lastEventTs: number }>();

  constructor(private readonly deps: NodeTrackerDeps) {
    this.configs = new Map(deps.nodes.map((n) => [n.id, n]));
    this.states = deps.states;
  }

  has(node: string): boolean {
    return this.configs.has(node);
  }

  config(node: string): NodeConfig | undefined {
    return this.configs.get(node);
  }

  state(node: string): NodeState {
    let s = this.states.get(node);
    if (!s) {
      s = emptyNodeState(node);
      this.states.set(node, s);
    }
    return s;
  }

  all(): { config: NodeConfig; state: NodeState }[] {
    return [...this.configs.values()].map((config) => ({ config, state: this.state(config.id) }));
  }

  reconfigure(nodes: NodeConfig[]): void {
    this.configs = new Map(nodes.map((n) => [n.id, n]));
  }

  /**
   * Sequence check for a frame from a known node. `duplicate` means: drop it. The state is
   * updated only by `accept`, so a frame that is refused later leaves no trace.
   */
  checkSeq(node: string, seq: number): SeqVerdict {
    return checkSeq(this.state(node).seq ?? undefined, seq);
  }

  /** Records an accepted reading; raises node_online, battery_low and (rate-limited) seq_gap. */
  accept(r: Reading, verdict: SeqVerdict | undefined, now: number): NodeState {
    const s = this.state(r.node);
    const cfg = this.configs.get(r.node);
    let changed = false;
    if (verdict?.kind === 'reset') s.resets++;
    if (verdict?.kind === 'gap') this.noteGap(r.node, s, verdict.lost, now);
    noteReading(s, r, now);
    const bat = r.v.bat;
    if (typeof bat === 'number') {
      if (cfg) {
        const limit = batLowOf(cfg);
        if (!s.bat_low && bat < limit) {
          s.bat_low = true;
          changed = true;
          this.deps.events.emit('battery_low', { node: r.node, zone: cfg.zone, bat, limit });
        } else if (s.bat_low && bat >= limit + BAT_HYSTERESIS_V) {
          s.bat_low = false;
          changed = true;
        }
      }
    }
    if (s.online !== true) {
      if (s.online === false) {
        this.deps.events.emit('node_online', { node: r.node, zone: cfg?.zone, via: r.via });
      }
      s.online = true;
      changed = true;
    }
    if (changed) this.deps.onChange?.(s);
    return s;
  }

  noteDuplicate(node: string): NodeState {
    const s = this.state(node);
    s.dups++;
    return s;
  }

  /** Marks nodes offline that were silent for 3 × expect_every_s. Returns the nodes that changed. */
  checkOffline(now: number): NodeState[] {
    const changed: NodeState[] = [];
    for (const cfg of this.configs.values()) {
      const s = this.state(cfg.id);
      if (s.online === false) continue;
      const last = Math.max(s.last_seen ?? 0, this.deps.startedAt);
      const silentMs = now - last;
      if (silentMs > expectEveryOf(cfg) * 3 * 1000) {
        s.online = false;
        changed.push(s);
        this.deps.events.emit('node_offline', {
          node: cfg.id,
          zone: cfg.zone,
          last_seen: s.last_seen,
          silent_s: Math.round(silentMs / 1000),
        });
        this.deps.onChange?.(s);
      }
    }
    return changed;
  }

  private noteGap(node: string, s: NodeState, lost: number, now: number): void {
    s.lost += lost;
    const g = this.gapSince.get(node) ?? { lost: 0, lastEventTs: -Infinity };
    g.lost += lost;
    if (now - g.lastEventTs >= SEQ_GAP_EVENT_EVERY_MS) {
      this.deps.events.emit('seq_gap', { node, lost: g.lost, total_lost: s.lost });
      g.lost = 0;
      g.lastEventTs = now;
    }
    this.gapSince.set(node, g);
  }
}
