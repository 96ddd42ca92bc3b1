import type { AlertServices } from '../alerts/view.js';
import type { Config } from '../config/schema.js';
import { redact } from '../config/secrets.js';
import type { DetectionEngine } from '../detect/engine.js';
import type { SirenController } from '../sirens/controller.js';
import type { Outbox } from '../store/outbox.js';
import type { NodeTracker } from './node-tracker.js';
import { type NodeRow, nodeRow } from './status.js';

/**
 * The service functions behind the CLI (over the control socket) and the centre's signed
 * commands: both call exactly these, so a technician and the centre see the same gateway.
 */
export interface GatewayServices {
  status(): Record<string, unknown>;
  nodes(): NodeRow[];
  /** Re-queues in chunks, letting the event loop run between them; resolves with the rows queued. */
  resend(from: number, to: number): Promise<number>;
  configGet(): unknown;
  siren: {
    /** `by` (who asked) goes into the `siren_test` event. */
    test(siren: string, seconds?: number, by?: string): Promise<unknown>;
    off(siren: string): Promise<unknown>;
    silence(zone: string, minutes: number, by: string, reason?: string): unknown;
    unsilence(zone: string, by: string): { cleared: boolean };
  };
  /** Present when `alerts.enabled` (issue 14). */
  alerts?: AlertServices;
}

export interface ServiceParts {
  config: () => Config;
  status: () => Record<string, unknown>;
  tracker: NodeTracker;
  engine: DetectionEngine;
  sirens: SirenController;
  outbox: Outbox;
  /** Makes newly queued rows visible to the uplink. */
  flush: () => void;
  uplink: { notify(): void };
  alerts?: AlertServices | undefined;
}

export function gatewayServices(p: ServiceParts): GatewayServices {
  return {
    status: p.status,
    nodes: () => p.tracker.all().map((n) => nodeRow(n.config, n.state)),
    resend: async (from, to) => {
      p.flush();
      let n = 0;
      for (const queued of p.outbox.requeueChunks(from, to)) {
        n += queued;
        // Ingest, sirens and the watchdog keepalive run between chunks.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      p.uplink.notify();
      return n;
    },
    configGet: () => redact(p.config()),
    siren: {
      test: (siren, seconds, by) => p.sirens.testSteps(siren, seconds, by),
      off: async (siren) => {
        await p.sirens.off(siren);
        return p.sirens.state();
      },
      silence: (zone, minutes, by, reason) => p.sirens.silence(zone, minutes, by, reason),
      unsilence: (zone, by) => ({ cleared: p.sirens.unsilence(zone, by) }),
    },
    ...(p.alerts ? { alerts: p.alerts } : {}),
  };
}

/**
 * The same services as the centre's signed commands see them: a silence or unsilence is
 * recorded as done by `cmd:<key id>`, so the event says who asked.
 */
export function commandServices(s: GatewayServices) {
  return {
    status: s.status,
    nodes: s.nodes,
    resend: s.resend,
    configGet: s.configGet,
    siren: {
      test: (id: string) => s.siren.test(id),
      off: (id: string) => s.siren.off(id),
      silence: (zone: string, minutes: number, by: string) => s.siren.silence(zone, minutes, `cmd:${by}`),
      unsilence: (zone: string, by: string) => s.siren.unsilence(zone, `cmd:${by}`),
    },
    ...(s.alerts ? { alerts: s.alerts } : {}),
  };
}
