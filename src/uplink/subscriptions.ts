import type { IClientOptions, MqttClient } from 'mqtt';
import type { ConnectFn } from './connection.js';
import type { UplinkLink } from './link.js';
import { connectClient } from './stream-builder.js';

export type TopicHandler = (topic: string, payload: Buffer) => void;

/**
 * Topics besides `cmd/req` that the gateway reads through its uplink connection (neighbours'
 * events). Held by the gateway across uplink rebuilds; the forwarder of the day calls `onUp` on
 * every connect (a broker that lost the session forgot them) and offers every message to `receive`.
 */
export class UplinkSubscriptions {
  private readonly handlers = new Map<string, TopicHandler>();
  /** Topics the broker granted on the current connection. */
  private granted = new Set<string>();
  private link: UplinkLink | undefined;
  private gen = -1;

  get size(): number {
    return this.handlers.size;
  }

  /** Reads `topic` (an exact topic, QoS 1) with `handler`; subscribes at once when connected. */
  set(topic: string, handler: TopicHandler): void {
    const isNew = !this.handlers.has(topic);
    this.handlers.set(topic, handler);
    const live = this.link?.live();
    if (isNew && live) this.subscribe(live.client, live.gen, [topic]);
  }

  delete(topic: string): void {
    if (!this.handlers.delete(topic)) return;
    this.granted.delete(topic);
    this.link?.live()?.client.unsubscribe(topic);
  }

  /** Whether the broker granted `topic` on the connection that is up now. */
  subscribed(topic: string): boolean {
    const live = this.link?.live();
    return live !== undefined && live.gen === this.gen && this.granted.has(topic);
  }

  /** A connection is up: subscribe every topic again. */
  onUp(link: UplinkLink, client: MqttClient, gen: number): void {
    this.link = link;
    this.gen = gen;
    this.granted = new Set();
    if (this.handlers.size > 0) this.subscribe(client, gen, [...this.handlers.keys()]);
  }

  /** Hands a message on one of our topics to its handler; false for any other topic or an old connection. */
  receive(topic: string, payload: Buffer, gen: number): boolean {
    const h = this.handlers.get(topic);
    if (h === undefined || gen !== this.gen) return false;
    h(topic, payload);
    return true;
  }

  private subscribe(client: MqttClient, gen: number, topics: string[]): void {
    client.subscribe(topics, { qos: 1 }, (err, granted) => {
      const link = this.link;
      if (!link?.isCurrent(gen)) return;
      if (err) return link.noteError(`subscribe ${topics.join(', ')} failed: ${err.message}`);
      for (const g of granted ?? []) {
        if (g.qos === 128) link.noteError(`subscribe ${g.topic} refused (check the centre's ACL)`);
        else this.granted.add(g.topic);
      }
    });
  }
}

/**
 * Connects with a persistent session: the broker keeps our subscriptions and queues their QoS 1
 * messages while we are away (a neighbour's AWAS during a short outage arrives on reconnect; one
 * older than `max_age_s` is then ignored). MQTT 5 needs an expiry for that; a day is plenty.
 */
export function persistentSession(connect: ConnectFn = connectClient): ConnectFn {
  return (url: string, opts: IClientOptions) =>
    connect(url, {
      ...opts,
      clean: false,
      ...(opts.protocolVersion === 5
        ? { properties: { ...opts.properties, sessionExpiryInterval: 86_400 } }
        : {}),
    });
}
