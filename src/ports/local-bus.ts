/**
 * The gateway's view of the local MQTT broker: what the mqtt siren driver and others need,
 * without knowing about aedes. Implemented by the embedded broker (src/broker) and, in tests,
 * by a thin adapter over an in-process aedes.
 */
export interface LocalBus {
  /** Publishes as the gateway itself (not subject to client ACLs). Resolves once delivered to the broker. */
  publish(topic: string, payload: string | Buffer, opts?: { retain?: boolean; qos?: 0 | 1 }): Promise<void>;
  /** Calls `handler` for every message on topics matching the MQTT filter; returns an unsubscribe. */
  subscribe(filter: string, handler: (topic: string, payload: Buffer) => void): () => void;
}
