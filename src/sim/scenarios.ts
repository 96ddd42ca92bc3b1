import type { NodeConfig } from '../config/schema.js';
import type { ReadingType, Values } from '../domain/index.js';

/** One simulated frame: when (ms after the scenario starts), from which node, with what values. */
export interface SimStep {
  at: number;
  node: string;
  type: ReadingType;
  v: Values;
  /** Printed by the demo as the story goes. */
  note?: string;
}

export interface Scenario {
  name: string;
  description: string;
  /** How long the story runs, calm-down included, with the demo's short windows. */
  durationMs: number;
  steps(nodes: NodeConfig[]): SimStep[];
  /**
   * What the people do in the demo (alerts for people): a ranger replies `OK <code>` this long after
   * the first SMS, or nobody does; `alertsClockRate` runs the escalation's clock faster so its
   * steps (minutes apart) fit the story.
   */
  people?: { replyAfterMs?: number; alertsClockRate?: number };
}

/** The first node of a type (optionally in a zone): scenarios are written against roles, not ids. */
function pick(nodes: NodeConfig[], type: ReadingType, zone?: string): NodeConfig | undefined {
  return nodes.find((n) => n.type === type && (zone === undefined || n.zone === zone));
}

function mainZone(nodes: NodeConfig[]): string | undefined {
  return (pick(nodes, 'cam') ?? pick(nodes, 'seis') ?? pick(nodes, 'pir') ?? nodes[0])?.zone;
}

function push(steps: SimStep[], node: NodeConfig | undefined, at: number, v: Values, note?: string): void {
  if (!node) return;
  steps.push({ at, node: node.id, type: node.type, v, ...(note ? { note } : {}) });
}

const elephantNight: Scenario = {
  name: 'elephant-night',
  description:
    'a night at the park edge: a PIR stirs, geophone footfalls come closer, the beam is cut, a camera trap sees an elephant; then the herd turns back and the zone calms down',
  durationMs: 40_000,
  people: { replyAfterMs: 6_000 },
  steps(nodes) {
    const zone = mainZone(nodes);
    const s: SimStep[] = [];
    push(s, pick(nodes, 'pir', zone), 3_000, { n: 1, bat: 3.71 }, 'a PIR at the field edge sees movement');
    push(s, pick(nodes, 'pir', zone), 6_000, { n: 4, bat: 3.71 });
    const seis = pick(nodes, 'seis', zone);
    push(s, seis, 9_000, { pgv: 0.42, f: 8.1 }, 'the geophone feels heavy footfalls');
    push(s, seis, 12_000, { pgv: 0.65, f: 8.4 });
    push(
      s,
      pick(nodes, 'beam', zone),
      15_000,
      { cut: 1, bat: 3.6 },
      'the beam across the elephant trail is cut',
    );
    push(s, seis, 17_000, { pgv: 0.91, f: 8.6 });
    push(
      s,
      pick(nodes, 'cam', zone),
      20_000,
      { label: 'elephant', conf: 0.91, bat: 3.9 },
      'the camera trap sees an elephant',
    );
    push(s, pick(nodes, 'beam', zone), 32_000, { cut: 0, bat: 3.6 }, 'the herd turns back into the park');
    return s;
  },
};

const unacknowledged: Scenario = {
  name: 'unacknowledged',
  description:
    'elephants stay at the field edge and nobody answers the SMS: the alerts escalate step by step (the alerts clock runs 60 times faster: a second is a minute)',
  durationMs: 60_000,
  people: { alertsClockRate: 60 },
  steps(nodes) {
    const zone = mainZone(nodes);
    const s = elephantNight.steps(nodes).filter((x) => x.type !== 'beam' || x.v.cut === 1);
    const cam = pick(nodes, 'cam', zone);
    for (let t = 24_000; t <= 44_000; t += 4_000)
      push(
        s,
        cam,
        t,
        { label: 'elephant', conf: 0.88, bat: 3.9 },
        t === 24_000 ? 'the elephants stay' : undefined,
      );
    push(s, pick(nodes, 'beam', zone), 46_000, { cut: 0, bat: 3.6 }, 'the herd finally turns back');
    return s.sort((a, b) => a.at - b.at);
  },
};

const noisyPir: Scenario = {
  name: 'noisy-pir',
  description: 'one faulty PIR fires again and again (wind in the grass); it must not raise AWAS on its own',
  durationMs: 60_000,
  steps(nodes) {
    const pir = pick(nodes, 'pir', mainZone(nodes));
    const s: SimStep[] = [];
    for (let t = 2_000; t <= 40_000; t += 2_000)
      push(s, pir, t, { n: 5, bat: 3.7 }, t === 2_000 ? 'a faulty PIR fires every 2 s' : undefined);
    return s;
  },
};

const panicButton: Scenario = {
  name: 'panic-button',
  description: 'a villager presses the panic button at the guard post, then cancels it',
  durationMs: 45_000,
  steps(nodes) {
    const btn = pick(nodes, 'btn', mainZone(nodes)) ?? pick(nodes, 'btn');
    const s: SimStep[] = [];
    push(s, btn, 3_000, { p: 1 }, 'the panic button is pressed');
    push(s, btn, 20_000, { p: 0 }, 'the alarm is cancelled at the guard post');
    return s;
  },
};

const fenceCut: Scenario = {
  name: 'fence-cut',
  description:
    'the electric fence voltage collapses (an elephant pushed a post over), then the beam behind it is cut and footfalls follow',
  durationMs: 50_000,
  steps(nodes) {
    const zone = mainZone(nodes);
    const fence = pick(nodes, 'fence', zone);
    const seis = pick(nodes, 'seis', zone);
    const s: SimStep[] = [];
    push(s, fence, 2_000, { kv: 7.8, bat: 12.6 });
    push(s, fence, 5_000, { kv: 0.5, bat: 12.6 }, 'the fence voltage drops to 0.5 kV');
    // A low fence alone is weak evidence (a branch does the same): it keeps reporting until
    // something else corroborates it.
    for (const at of [8_000, 11_000]) push(s, fence, at, { kv: 0.5, bat: 12.6 });
    push(s, pick(nodes, 'beam', zone), 9_000, { cut: 1, bat: 3.6 }, 'the beam behind the fence is cut');
    push(s, seis, 18_000, { pgv: 0.8, f: 8.2 }, 'the geophone feels heavy footfalls');
    push(s, seis, 21_000, { pgv: 0.9, f: 8.4 });
    push(s, fence, 25_000, { kv: 7.6, bat: 12.5 }, 'the fence is repaired');
    return s;
  },
};

const quiet: Scenario = {
  name: 'quiet',
  description: 'a quiet night: only heartbeats',
  durationMs: 30_000,
  steps: () => [],
};

export const SCENARIOS: ReadonlyMap<string, Scenario> = new Map(
  [elephantNight, unacknowledged, noisyPir, panicButton, fenceCut, quiet].map((s) => [s.name, s]),
);

/**
 * A heartbeat's values for a node: a battery that drains a little and the enclosure temperature
 * of a tropical night. (No rssi: LoRa nodes get theirs from the radio, LPP has no channel for it.)
 */
export function heartbeat(node: NodeConfig, i: number): Values {
  const base = node.type === 'fence' ? 12.6 : 3.95;
  return { bat: Math.round((base - (i % 50) * 0.002) * 100) / 100, temp: 24 + (i % 7) * 0.5 };
}
