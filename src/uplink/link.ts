import type { MqttClient } from 'mqtt';

/** The client of the connection that is up, and the generation that names that connection. */
export interface LiveLink {
  client: MqttClient;
  gen: number;
}

/**
 * What the forwarder's parts (outbox drain, side channel, command intake) see of the connection
 * the forwarder manages. Every connection attempt gets a new generation; a callback that carries
 * an older one belongs to a connection that is gone and is ignored.
 */
export interface UplinkLink {
  /** The connected client and its generation; undefined while disconnected or stopped. */
  live(): LiveLink | undefined;
  /** Whether `gen` still names the current connection. */
  isCurrent(gen: number): boolean;
  /** Drops the current connection; what was in flight goes again on the next one. */
  drop(why: string): void;
  /** Keeps `msg` as the forwarder's last error. */
  noteError(msg: string): void;
  /** Adds a published payload to the forwarder's count of bytes sent (UTF-8 bytes, not characters). */
  countBytes(payload: string | Uint8Array): void;
  /** Monotonic milliseconds. */
  mono(): number;
}
