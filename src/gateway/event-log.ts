import type { Logger } from 'pino';
import type { Clock, EventFields, EventKind, EventSink, GatewayEvent } from '../domain/index.js';
import { idFactory } from '../util/ids.js';

export type EventListener = (e: GatewayEvent) => void;

/**
 * The gateway's EventSink: stamps each event with a ULID and the time, hands it to storage
 * (which queues it for the uplink in the same transaction) and tells live listeners (tail).
 */
export class EventLog implements EventSink {
  private readonly ulid = idFactory();
  private readonly listeners = new Set<EventListener>();

  constructor(
    private readonly deps: {
      clock: Clock;
      log: Logger;
      store: (e: GatewayEvent) => void;
    },
  ) {}

  emit(kind: EventKind, fields: EventFields = {}): GatewayEvent {
    const ts = this.deps.clock.now();
    const e: GatewayEvent = { id: this.ulid(ts), ts, kind, fields };
    this.deps.log.info({ event: kind, ...fields }, eventMessage(kind));
    this.deps.store(e);
    for (const l of this.listeners) l(e);
    return e;
  }

  listen(l: EventListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

function eventMessage(kind: EventKind): string {
  return kind.replace(/_/g, ' ');
}
