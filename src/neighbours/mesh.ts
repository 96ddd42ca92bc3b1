import { readFileSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { NeighbourConfig } from '../config/schema-neighbours.js';
import { redactUrl } from '../config/secrets.js';
import { connectClient } from '../uplink/stream-builder.js';
import { MESH_EVENTS_TOPIC } from './topics.js';

/** A neighbour on the same network is near: a fixed, short retry is enough and nobody stampedes. */
const RECONNECT_MS = 5000;

export interface MeshLinkDeps {
  /** Our gateway id: the client id `siaga-nb-<ours>` keeps one persistent session per neighbour broker. */
  self: string;
  neighbour: NeighbourConfig & { broker: NonNullable<NeighbourConfig['broker']> };
  log: Logger;
  onMessage(payload: Buffer): void;
  onLink(up: boolean): void;
}

/**
 * Listens to a neighbour gateway's own local broker as its `viewer` user (the mesh without a
 * centre): QoS 1 on `siaga/local/events`, a persistent session so a short drop loses nothing.
 * Whatever arrives there was published by that gateway (a viewer may not publish, and the
 * connection names the neighbour), so the gateway is the one configured for this broker.
 */
export class MeshLink {
  private client: MqttClient | undefined;

  constructor(private readonly deps: MeshLinkDeps) {}

  start(): void {
    const { broker } = this.deps.neighbour;
    const { log } = this.deps;
    const client = connectClient(broker.url, {
      clientId: `siaga-nb-${this.deps.self}`,
      clean: false,
      reconnectPeriod: RECONNECT_MS,
      connectTimeout: 10_000,
      username: broker.username,
      ...(broker.password !== undefined ? { password: broker.password } : {}),
      ...(broker.ca_file ? { ca: readFileSync(broker.ca_file) } : {}),
    });
    this.client = client;
    const url = redactUrl(broker.url);
    const gateway = this.deps.neighbour.gateway;
    client.on('connect', () => {
      // Every connect: a neighbour that restarted lost our session and its subscription.
      client.subscribe(MESH_EVENTS_TOPIC, { qos: 1 }, (err, granted) => {
        const ok = !err && !granted?.some((g) => g.qos === 128);
        this.deps.onLink(ok);
        if (ok) log.info({ gateway, url }, 'listening to neighbour broker');
        else
          log.warn(
            { gateway, url, err },
            'neighbour broker refused the subscription (is the user a viewer?)',
          );
      });
    });
    client.on('message', (topic, payload) => {
      if (topic === MESH_EVENTS_TOPIC) this.deps.onMessage(payload);
    });
    client.on('close', () => this.deps.onLink(false));
    // One warning per outage, not one every RECONNECT_MS all night.
    let warned = false;
    client.on('connect', () => {
      warned = false;
    });
    client.on('error', (err) => {
      if (!warned) log.warn({ err, gateway, url }, 'neighbour broker connection failed; retrying');
      warned = true;
    });
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await c.endAsync(true);
  }
}
