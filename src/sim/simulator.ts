import { encodeSg1 } from '../codecs/sg1.js';
import type { NodeConfig } from '../config/schema.js';
import type { Frame, ReadingType, Values } from '../domain/index.js';
import { heartbeat, type Scenario } from './scenarios.js';

/** Where a simulated node's frames go: a serial line, the LoRa forwarder, the local broker. */
export interface SimSink {
  send(node: NodeConfig, frame: Frame): void | Promise<void>;
  close?(): Promise<void>;
}

export interface SimulatorDeps {
  nodes: NodeConfig[];
  sinkFor: (node: NodeConfig) => SimSink | undefined;
  scenario?: Scenario;
  /** Every node sends a heartbeat this often (spread out, not all at once). */
  heartbeatMs: number;
  /** Extra background frames per second across all nodes (load for benchmarks and soak runs). */
  rate?: number;
  onNote?: (note: string) => void;
  onError?: (e: unknown) => void;
}

/** Serial nodes mostly speak SG1; some firmwares print JSON lines on the same port. */
export function serialLine(frame: Frame, i: number): string {
  if (i % 4 === 3) {
    return JSON.stringify({ node: frame.node, seq: frame.seq, type: frame.type, ...frame.v });
  }
  return encodeSg1(frame);
}

/**
 * Plays a scenario over realistic background traffic: heartbeats from every node, per-node
 * sequence numbers, and optional extra load. Timers are real: this feeds a running gateway.
 */
export class Simulator {
  private readonly seq = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private hbCount = 0;
  private stopped = false;
  sent = 0;
  readonly done: Promise<void>;
  private finish!: () => void;

  constructor(private readonly deps: SimulatorDeps) {
    this.done = new Promise((resolve) => {
      this.finish = resolve;
    });
  }

  start(): void {
    const { nodes, scenario } = this.deps;
    nodes.forEach((n, i) => {
      // Spread the first heartbeats over the first second so the demo shows every node at once.
      this.later((i * 1000) / Math.max(1, nodes.length), () => this.heartbeatLoop(n));
    });
    if (scenario) {
      for (const step of scenario.steps(nodes)) {
        this.later(step.at, () => {
          if (step.note) this.deps.onNote?.(step.note);
          const node = nodes.find((n) => n.id === step.node);
          if (node) this.emit(node, step.type, step.v);
        });
      }
      this.later(scenario.durationMs, () => this.finish());
    }
    if (this.deps.rate && this.deps.rate > 0) this.loadLoop(this.deps.rate);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.finish();
  }

  /** Sends one frame from a node now; returns it. */
  emit(node: NodeConfig, type: ReadingType, v: Values): Frame | undefined {
    const sink = this.deps.sinkFor(node);
    if (!sink || this.stopped) return undefined;
    const seq = (this.seq.get(node.id) ?? 0) + 1;
    this.seq.set(node.id, seq);
    const frame: Frame = { node: node.id, seq, type, v };
    this.sent++;
    try {
      const p = sink.send(node, frame);
      if (p !== undefined) p.catch((e: unknown) => this.deps.onError?.(e));
    } catch (e) {
      this.deps.onError?.(e);
    }
    return frame;
  }

  private heartbeatLoop(n: NodeConfig): void {
    this.emit(n, 'hb', heartbeat(n, this.hbCount++));
    this.later(this.deps.heartbeatMs, () => this.heartbeatLoop(n));
  }

  private loadLoop(rate: number): void {
    const { nodes } = this.deps;
    // Send in 10 ms slices so high rates do not need one timer per frame.
    const perSlice = rate / 100;
    let carry = 0;
    let i = 0;
    const slice = () => {
      carry += perSlice;
      while (carry >= 1) {
        carry -= 1;
        const n = nodes[i++ % nodes.length];
        if (n) this.emit(n, 'hb', heartbeat(n, i));
      }
      this.later(10, slice);
    };
    slice();
  }

  private later(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }
}
