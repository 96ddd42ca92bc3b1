import { latencyStats } from './a1-sms.js';
import { alertsLatencyRun, type LatencyOptions } from './alerts-latency.js';
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
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  return [
    {
      figure: 'A2 p99',
      value: cap.p99,
      unit: 'ms',
      target: '≤ 1000',
      pass: cap.p99 <= 1000 && cap.missed === 0,
      notes:
        `p50 ${ms(cap.p50)}, max ${ms(cap.max)}, n=${cap.xs.length} incidents, ${cap.missed} without CAP Alert; ` +
        `CAP/SMS p50 ×${(cap.p50 / sms.p50).toFixed(1)} (same presses); ${run.capDocs} CAP documents received; ` +
        `readings flowing to the same broker at ${Math.round(run.backgroundPerSecond)}/s`,
      p50: cap.p50,
      p99: cap.p99,
      max: cap.max,
      n: cap.xs.length,
      missed: cap.missed,
      slowest: [...cap.xs].sort((a, b) => b - a).slice(0, 5),
      capDocs: run.capDocs,
    },
  ];
}
