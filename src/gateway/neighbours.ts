import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { NeighbourConfig } from '../config/schema-neighbours.js';
import type { ExternalEvidence } from '../detect/external.js';
import type { EngineOutput } from '../detect/types.js';
import type { Clock, GatewayEvent } from '../domain/index.js';
import { NeighbourIntake, type NeighbourStatus } from '../neighbours/intake.js';
import { sourceOf } from '../neighbours/judge.js';
import { MeshLink } from '../neighbours/mesh.js';
import { centreEventsTopic, MESH_EVENTS_TOPIC } from '../neighbours/topics.js';
import type { LocalBus } from '../ports/local-bus.js';
import { eventPayload } from '../uplink/payloads.js';
import type { UplinkSubscriptions } from '../uplink/subscriptions.js';
import type { Counters } from './counters.js';

export interface NeighbourParts {
  clock: Clock;
  log: Logger;
  counters: Counters;
  events: { listen(l: (e: GatewayEvent) => void): () => void };
  engine: { external(zone: string, ev: ExternalEvidence): EngineOutput; withdraw(source: string): void };
  onEngine(out: EngineOutput): void;
  uplink: { subscriptions: UplinkSubscriptions; state(): { connected: boolean } | null };
  broker: LocalBus | undefined;
  rollback?: { add(what: string, undo: () => unknown): void };
}

/** The running neighbour pre-alerts, as status, reload and shutdown see them. */
export interface Neighbours {
  status(): NeighbourStatus[];
  reconfigure(next: Config): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Neighbour pre-alerts (docs/neighbours.md): our level events go out on the local broker for
 * neighbours on the same network; each configured neighbour is heard through the centre (its
 * events topic, on our uplink connection) and/or through its own local broker.
 */
export function startNeighbours(config: Config, p: NeighbourParts): Neighbours {
  const log = p.log.child({ c: 'neighbours' });
  const count = p.counters.scoped('neighbours');
  const intake = new NeighbourIntake({ ...p, log, count });
  let current = config;
  let meshes: MeshLink[] = [];
  let topics: string[] = [];

  const unlisten = p.events.listen((e) => {
    if (e.kind !== 'level' || !p.broker) return;
    // The gateway id goes into the payload: a neighbour checks it against the broker it asked.
    const json = JSON.stringify({
      ...eventPayload(e, current.gateway.site.village_code),
      gw: current.gateway.id,
    });
    p.broker
      .publish(MESH_EVENTS_TOPIC, json, { qos: 1 })
      .catch((err: unknown) => log.warn({ err }, 'cannot publish a level event for neighbours'));
  });

  const listen = (c: Config) => {
    intake.configure(c.neighbours);
    const wanted = c.uplink ? c.neighbours.map((n) => centreEventsTopic(n.gateway)) : [];
    for (const t of topics) if (!wanted.includes(t)) p.uplink.subscriptions.delete(t);
    topics = [];
    for (const n of c.neighbours) {
      if (c.uplink) {
        const topic = centreEventsTopic(n.gateway);
        topics.push(topic);
        p.uplink.subscriptions.set(topic, (_t, payload) => intake.receive(n.gateway, payload));
      }
      if (n.broker) meshes.push(meshLink(c.gateway.id, { ...n, broker: n.broker }));
    }
    for (const m of meshes) m.start();
  };
  const meshLink = (self: string, n: MeshNeighbour) =>
    new MeshLink({
      self,
      neighbour: n,
      log,
      onMessage: (payload) => intake.receive(n.gateway, payload),
      onLink: (up) => intake.link(n.gateway, 'mesh', up),
    });
  const stopMeshes = async () => {
    await Promise.all(meshes.map((m) => m.stop()));
    meshes = [];
  };
  listen(config);
  // No unsubscribe at shutdown: the centre keeps the subscriptions in our persistent session and
  // queues what a neighbour raises while we restart.
  const stop = async () => {
    unlisten();
    await stopMeshes();
  };
  p.rollback?.add('neighbours', stop);

  return {
    status: () =>
      intake.status().map((s) => {
        const viaCentre = topics.includes(centreEventsTopic(s.gateway));
        return viaCentre
          ? {
              ...s,
              links: { ...s.links, centre: p.uplink.subscriptions.subscribed(centreEventsTopic(s.gateway)) },
            }
          : s;
      }),
    async reconfigure(next) {
      const same =
        JSON.stringify(next.neighbours) === JSON.stringify(current.neighbours) &&
        Boolean(next.uplink) === Boolean(current.uplink) &&
        next.gateway.id === current.gateway.id;
      const prev = current;
      current = next;
      if (same) return;
      await stopMeshes();
      for (const source of droppedSources(prev, next)) p.engine.withdraw(source);
      listen(next);
    },
    stop,
  };
}

/** Sources whose mapping a reload removed or changed: their pre-alerts no longer apply. */
function droppedSources(prev: Config, next: Config): string[] {
  const out: string[] = [];
  for (const n of prev.neighbours) {
    const after = next.neighbours.find((m) => m.gateway === n.gateway);
    for (const [theirs, ours] of Object.entries(n.zones))
      if (after?.zones[theirs] !== ours) out.push(sourceOf(n.gateway, theirs));
  }
  return out;
}

type MeshNeighbour = NeighbourConfig & { broker: NonNullable<NeighbourConfig['broker']> };
