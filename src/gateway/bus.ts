import { EventEmitter } from 'node:events';
import type { Reading } from '../domain/index.js';
import type { CommitInfo } from '../store/writer.js';

/** What the gateway's parts tell each other; the listeners are attached in the composition root only. */
export interface GatewayBusEvents {
  /** An accepted reading, before its commit: detection must not wait for the disk. */
  reading: [reading: Reading];
  /** Readings and events are durable. */
  commit: [info: CommitInfo];
  /** Writes started failing (`error` says why) or work again. */
  storage: [failing: boolean, error: string | undefined];
}

/**
 * A typed event bus instead of forward references: a part built early (the store, ingest)
 * tells parts built later (the uplink, detection) without holding them.
 */
export class GatewayBus extends EventEmitter<GatewayBusEvents> {}
