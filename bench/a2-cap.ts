import { alertsLatencyRun, type LatencyOptions, latencyStats, p99Figure } from './alerts-latency.js';
import type { Figure } from './common.js';

/**
 * A2: AWAS → the CAP Alert PUBACKed by a real Mosquitto, p99 ≤ 1 s: from just before the
 * triggering line is handed to ingest to the centre's QoS 1 subscriber (in its own thread)
 * receiving the XML on siaga/v1/gw/<id>/cap. Mosquitto forwards a QoS 1 message only once it has
 * it, so receipt is never earlier than the gateway's PUBACK. Same run and presses as A1.
 */
export async function benchA2(opts: LatencyOptions = {}): Promise<Figure[]> {
  const run = await alertsLatencyRun(opts);
  const cap = latencyStats(run.presses, (p) => p.cap);
  const sms = latencyStats(run.presses, (p) => p.sms);
  return [
    {
      ...p99Figure(
        'A2 p99',
        cap,
        'CAP Alert',
        `CAP/SMS p50 ×${(cap.p50 / sms.p50).toFixed(1)} (same presses); ${run.capDocs} CAP documents received; ` +
          `readings flowing to the same broker at ${Math.round(run.backgroundPerSecond)}/s`,
      ),
      capDocs: run.capDocs,
    },
  ];
}
