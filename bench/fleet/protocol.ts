import type { UplinkConfig } from '../../src/config/schema.js';

/** What bench/fleet/run.ts and its worker processes say to each other over IPC. */

export interface WorkerGateway {
  id: string;
  village: string;
  password: string;
  /** The gateway's `uplink.url` failover list. */
  urls: string[];
}

export type WorkerUplink = Omit<UplinkConfig, 'url' | 'username' | 'password'>;

export type ToWorker = { id: number } & (
  | { cmd: 'init'; dir: string; gateways: WorkerGateway[]; uplink: WorkerUplink }
  | { cmd: 'start' }
  | { cmd: 'stream'; on: boolean; perMin?: number }
  | { cmd: 'flush' }
  | { cmd: 'prefill'; count: number }
  | { cmd: 'state'; perGateway?: boolean }
  | { cmd: 'stop' }
);

export interface WorkerState {
  gateways: number;
  connected: number;
  /** Readings and events not yet PUBACKed (outbox + not yet committed). */
  backlog: number;
  generated: number;
  /** Connected gateways per broker URL. */
  urls: Record<string, number>;
  perGateway?: Record<string, number>;
}
