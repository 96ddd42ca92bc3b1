import type { LocalBroker } from '../broker/server.js';
import type { Config } from '../config/schema.js';
import type { DetectionEngine } from '../detect/engine.js';
import type { Clock } from '../domain/index.js';
import type { NeighbourStatus } from '../neighbours/intake.js';
import type { SirenController } from '../sirens/controller.js';
import type { ClockWatch } from './clock-watch.js';
import type { Counters } from './counters.js';
import type { NodeTracker } from './node-tracker.js';
import type { Radio } from './radio.js';
import type { SerialInputs } from './serial-inputs.js';
import { gatewayStatus } from './status.js';
import type { Storage } from './storage.js';
import type { Uplink } from './uplink-wiring.js';

/** Every part that has something to say in `siaga status`. */
export interface StatusSources {
  config: () => Config;
  clock: Clock;
  startedAt: number;
  clockWatch: ClockWatch;
  engine: DetectionEngine;
  tracker: NodeTracker;
  sirens: SirenController;
  serial: SerialInputs;
  radio: Radio;
  broker: LocalBroker | undefined;
  uplink: Uplink;
  storage: Storage;
  counters: Counters;
  /** Neighbour pre-alerts: links, last event and ignored counts per neighbour. */
  neighbours?: { status(): NeighbourStatus[] };
  /** Present when alerts are enabled: open incidents and delivery counters. */
  alerts?: { status(): Record<string, unknown> } | undefined;
}

export type GatewayStatus = ReturnType<ReturnType<typeof statusSource>>;

/** The running gateway's status, read afresh from its parts on every call. */
export function statusSource(p: StatusSources) {
  const { writer } = p.storage;
  return () => ({
    ...gatewayStatus({
      config: p.config(),
      uptimeS: Math.round((p.clock.now() - p.startedAt) / 1000),
      clockOk: p.clockWatch.clockOk,
      zones: p.engine.zones(),
      nodes: p.tracker.all(),
      sirens: p.sirens,
      serial: p.serial.states(),
      lora: p.radio.status(),
      localBroker: p.broker ? { address: p.broker.address(), ...p.broker.stats() } : null,
      uplink: p.uplink.state(),
      storage: {
        error: p.storage.error() ?? null,
        pending: writer.pending,
        committed: writer.committedReadings,
        held_in_memory: writer.heldWhileFailing,
        held_bytes: writer.heldBytes,
        dropped_while_failing: writer.droppedWhileFailing,
        backlog: p.storage.outbox.backlog(),
      },
      counters: p.counters.snapshot(),
    }),
    ...(p.alerts ? { alerts: p.alerts.status() } : {}),
    ...(p.neighbours && p.config().neighbours.length > 0 ? { neighbours: p.neighbours.status() } : {}),
  });
}
