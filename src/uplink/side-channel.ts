import type { IClientPublishOptions } from 'mqtt';
import type { LiveLink, UplinkLink } from './link.js';

/**
 * Retained node states and daily summaries, sent outside the outbox (small, latest wins): each is
 * kept in memory until its PUBACK arrived and sent again on every connection until then.
 */
export class SideChannel {
  /** Latest retained payload per topic not yet PUBACKed (node states), and summaries to send. */
  private readonly pendingRetained = new Map<string, string>();
  private readonly pendingSummaries = new Map<string, string>();

  constructor(
    private readonly link: UplinkLink,
    private readonly summaryTopic: string,
  ) {}

  /** Queues a retained payload for `topic` (replacing one not yet acknowledged) and flushes. */
  retained(topic: string, payload: string): void {
    this.pendingRetained.set(topic, payload);
    this.flush();
  }

  /** Queues the summary of `day` (replacing one not yet acknowledged) and flushes. */
  summary(day: string, payload: string): void {
    this.pendingSummaries.set(day, payload);
    this.flush();
  }

  /** Summaries still waiting for their PUBACK. */
  get summariesPending(): number {
    return this.pendingSummaries.size;
  }

  /** Publishes everything pending on the live connection (nothing while disconnected). */
  flush(): void {
    const live = this.link.live();
    if (!live) return;
    for (const [topic, payload] of this.pendingRetained)
      this.send(live, this.pendingRetained, topic, topic, payload, { qos: 1, retain: true });
    for (const [day, payload] of this.pendingSummaries)
      this.send(live, this.pendingSummaries, day, this.summaryTopic, payload, { qos: 1 });
  }

  /** Publishes one pending payload; it is forgotten on its PUBACK unless replaced meanwhile. */
  private send(
    { client, gen }: LiveLink,
    pending: Map<string, string>,
    key: string,
    topic: string,
    payload: string,
    opts: IClientPublishOptions,
  ): void {
    this.link.countBytes(payload);
    client.publish(topic, payload, opts, (err) => {
      if (!err && this.link.isCurrent(gen) && pending.get(key) === payload) pending.delete(key);
    });
  }
}
