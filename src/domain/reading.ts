/** The eight kinds of evidence a node can send (docs/wire.md §1). */
export const READING_TYPES = ['hb', 'pir', 'seis', 'beam', 'cam', 'fence', 'gps', 'btn'] as const;
export type ReadingType = (typeof READING_TYPES)[number];

export function isReadingType(s: string): s is ReadingType {
  return (READING_TYPES as readonly string[]).includes(s);
}

/** How a reading reached the gateway. */
export type Via = 'serial' | 'lora' | 'mqtt';

/** Radio metadata of a LoRa reading (from the packet forwarder's rxpk). */
export interface Radio {
  rssi: number;
  /** dB; LoRa only (an FSK demodulator reports none). */
  snr?: number;
  /** MHz */
  freq: number;
  /** LoRa spreading factor; absent for FSK, which has none. */
  sf?: number;
  /** Only for FSK (AS923 DR7); LoRa, by far the usual case, is implied. */
  modu?: 'FSK';
  /** FSK data rate in bit/s (the forwarder's numeric `datr`). */
  datr?: number;
}

/** "SF10" or "FSK 50 kbit/s", for the CLI's one-line views of a reading. */
export function radioRate(r: Radio): string {
  if (r.modu === 'FSK') return `FSK ${(r.datr ?? 0) / 1000} kbit/s`;
  return `SF${r.sf}`;
}

/** Field values: numbers, except text fields such as cam `label`. */
export type Values = Record<string, number | string>;

/**
 * A frame as decoded from the wire, before the gateway has checked it against its node list
 * and sequence state. Produced by the pure parsers in src/codecs.
 */
export interface Frame {
  node: string;
  seq: number;
  type: ReadingType;
  v: Values;
  /** Node-supplied timestamp (epoch ms), JSON lines only. */
  ts?: number;
}

/** A reading accepted by ingest: the unit that is stored, detected on and forwarded. */
export interface Reading {
  /** ULID assigned once at ingest, kept across retries so the centre can de-duplicate. */
  id: string;
  node: string;
  seq: number;
  type: ReadingType;
  /** Epoch ms: the node's own ts when it sent one, else the gateway's receive time. */
  ts: number;
  via: Via;
  v: Values;
  radio?: Radio;
  /** false when the gateway clock was not synced (before the build date) at receive time. */
  clockOk: boolean;
}
