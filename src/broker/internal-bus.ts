import type { Aedes, AedesPublishPacket, PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import { InvariantError } from '../domain/index.js';
import type { LocalBus } from '../ports/local-bus.js';
import { isPlainTopic, isValidFilter } from './acl.js';
import { payloadBuffer } from './payload.js';

interface InternalSub {
  filter: string;
  deliver: (packet: AedesPublishPacket, cb: () => void) => void;
}

/**
 * The gateway's own traffic on the local broker, not subject to client ACLs. Subscriptions made
 * before the broker exists (or across a restart of it) are kept and made on `attach`.
 */
export class InternalBus implements LocalBus {
  private broker: Aedes | undefined;
  private readonly subs = new Set<InternalSub>();

  constructor(private readonly log: Logger) {}

  /** The broker to use from now on (undefined once it is closed); subscribes it to every filter. */
  attach(broker: Aedes | undefined): void {
    this.broker = broker;
    if (broker) for (const sub of this.subs) broker.subscribe(sub.filter, sub.deliver, () => {});
  }

  publish(topic: string, payload: string | Buffer, opts?: { retain?: boolean; qos?: 0 | 1 }): Promise<void> {
    const broker = this.broker;
    if (!broker) return Promise.reject(new InvariantError('local broker is not started'));
    if (!isPlainTopic(topic)) return Promise.reject(new InvariantError(`cannot publish to "${topic}"`));
    const packet: PublishPacket = {
      cmd: 'publish',
      topic,
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
      qos: opts?.qos ?? 0,
      retain: opts?.retain ?? false,
      dup: false,
    };
    return new Promise((resolve, reject) => broker.publish(packet, (err) => (err ? reject(err) : resolve())));
  }

  subscribe(filter: string, handler: (topic: string, payload: Buffer) => void): () => void {
    if (!isValidFilter(filter)) throw new InvariantError(`invalid topic filter "${filter}"`);
    const sub: InternalSub = {
      filter,
      deliver: (packet, cb) => {
        try {
          handler(packet.topic, payloadBuffer(packet));
        } catch (err) {
          this.log.error({ err, topic: packet.topic }, 'local bus handler failed');
        }
        cb();
      },
    };
    this.subs.add(sub);
    this.broker?.subscribe(filter, sub.deliver, () => {});
    return () => {
      if (!this.subs.delete(sub)) return;
      this.broker?.unsubscribe(filter, sub.deliver, () => {});
    };
  }
}
