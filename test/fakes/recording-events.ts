import type { Clock, EventFields, EventKind, EventSink, GatewayEvent } from '../../src/domain/index.js';
import { systemClock } from '../../src/domain/index.js';

export interface RecordingEventsOptions {
  /** Time stamped on each event; a test under a ManualClock passes it so `ts` follows that clock. */
  clock?: Clock;
  /** Id of the n-th event (0-based); the default is its index, which keeps test output readable. */
  id?: (n: number) => string;
  /** Also hands each event on, e.g. into a real database, as the gateway's sink does. */
  store?: (e: GatewayEvent) => void;
}

/**
 * The EventSink stand-in for every test: keeps each emitted event in order so a test can ask what
 * the part under test reported, without a database or an uplink.
 */
export class RecordingEvents implements EventSink {
  readonly events: GatewayEvent[] = [];
  private readonly clock: Clock;
  private readonly id: (n: number) => string;
  private readonly store: ((e: GatewayEvent) => void) | undefined;

  constructor(opts: RecordingEventsOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.id = opts.id ?? String;
    this.store = opts.store;
  }

  emit(kind: EventKind, fields: EventFields = {}): GatewayEvent {
    const e: GatewayEvent = { id: this.id(this.events.length), ts: this.clock.now(), kind, fields };
    this.store?.(e);
    this.events.push(e);
    return e;
  }

  /** The events of one kind, in order. */
  of(kind: EventKind): GatewayEvent[] {
    return this.events.filter((e) => e.kind === kind);
  }

  /** The fields of the events of one kind: what most assertions are about. */
  fieldsOf(kind: EventKind): EventFields[] {
    return this.of(kind).map((e) => e.fields);
  }

  /** Kind and fields only, for comparing whole sequences without ids and times. */
  summary(): Pick<GatewayEvent, 'kind' | 'fields'>[] {
    return this.events.map(({ kind, fields }) => ({ kind, fields }));
  }

  clear(): void {
    this.events.length = 0;
  }
}
