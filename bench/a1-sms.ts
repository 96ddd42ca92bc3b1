import { alertsLatencyRun, type LatencyOptions, type Press } from './alerts-latency.js';
import { type Figure, percentile } from './common.js';

/**
 * A1: AWAS level change → the SMS file complete in gammu-smsd's outbox, p99 ≤ 1 s under 1,000
 * readings/s. The spool has no daemon reading it: the figure ends where gammu-smsd would take
 * over, at the rename that makes the file visible to it (bench/alerts-latency.ts).
 */

/** p50/p99/max of one latency of the presses that have it, and how many have not. */
export function latencyStats(presses: readonly Press[], pick: (p: Press) => number | undefined) {
  const xs = presses.flatMap((p) => {
    const t = pick(p);
    return t === undefined ? [] : [t - p.at];
  });
  return {
    xs,
    p50: percentile(xs, 0.5),
    p99: percentile(xs, 0.99),
    max: xs.length > 0 ? Math.max(...xs) : Number.NaN,
    missed: presses.length - xs.length,
  };
}

export async function benchA1(opts: LatencyOptions = {}): Promise<Figure[]> {
  const run = await alertsLatencyRun(opts);
  const sms = latencyStats(run.presses, (p) => p.sms);
  const siren = latencyStats(run.presses, (p) => p.siren);
  // Same bench, CAP folder on tmpfs: what the CAP file's synchronous fsyncs (written before the
  // SMS is handed over) add to the SMS.
  const fast = await alertsLatencyRun({ ...opts, incidents: 50, capOnTmpfs: true });
  const smsFast = latencyStats(fast.presses, (p) => p.sms);
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  return [
    {
      figure: 'A1 p99',
      value: sms.p99,
      unit: 'ms',
      target: '≤ 1000',
      pass: sms.p99 <= 1000 && sms.missed === 0,
      notes:
        `p50 ${ms(sms.p50)}, max ${ms(sms.max)}, n=${sms.xs.length} incidents, ${sms.missed} without SMS; ` +
        `same presses: siren on() p50 ${ms(siren.p50)}; ` +
        `CAP folder on tmpfs instead of the disk: p50 ${ms(smsFast.p50)}, p99 ${ms(smsFast.p99)} (n=${smsFast.xs.length}, ×${(sms.p50 / smsFast.p50).toFixed(1)} p50 with the disk); ` +
        `background ${Math.round(run.backgroundPerSecond)} readings/s; FILES spool, no daemon`,
      p50: sms.p50,
      p99: sms.p99,
      max: sms.max,
      n: sms.xs.length,
      missed: sms.missed,
      slowest: [...sms.xs].sort((a, b) => b - a).slice(0, 5),
      capOnTmpfs: { p50: smsFast.p50, p99: smsFast.p99, n: smsFast.xs.length, missed: smsFast.missed },
      sirenP50: siren.p50,
      sirenP99: siren.p99,
      outboxFiles: run.outboxFiles,
      backgroundPerSecond: run.backgroundPerSecond,
    },
  ];
}
