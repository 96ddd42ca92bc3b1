/** Every kind of gateway event (docs/wire.md §3). */
export const EVENT_KINDS = [
  'level',
  'node_offline',
  'node_online',
  'battery_low',
  'fence_low',
  'siren_on',
  'siren_off',
  'siren_fault',
  'siren_silenced',
  'siren_test',
  'seq_gap',
  'clock',
  'cmd',
  'cmd_rejected',
  'serial_lost',
  'serial_back',
  'storage_error',
  'uplink_stall',
  'lora_rejected',
  'pruned_unforwarded',
  'incident',
  'ack',
  'cap',
  'sms_failed',
  'sms_refused',
  'alert_test',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Extra fields of an event; flat, as they appear on the wire. */
export type EventFields = Record<string, unknown>;

/** A stored event. On the wire it is `{id, ts, kind, ...fields, village_code}`. */
export interface GatewayEvent {
  id: string;
  ts: number;
  kind: EventKind;
  fields: EventFields;
}

/** Something that records events: assigns id and time, stores them and queues them for the uplink. */
export interface EventSink {
  emit(kind: EventKind, fields?: EventFields): GatewayEvent;
}
