import { gammuSmsdAvailable } from '../test/fixtures/sms/gammu-rig.js';
import { alertsLatencyRun, type LatencyOptions, latencyStats, ms, p99Figure } from './alerts-latency.js';
import type { Figure } from './common.js';

/**
 * A1: AWAS level change → the SMS file complete in gammu-smsd's outbox, p99 ≤ 1 s under 1,000
 * readings/s. The spool has no daemon reading it: the figure ends where gammu-smsd would take
 * over, at the rename that makes the file visible to it (bench/alerts-latency.ts).
 */
export async function benchA1(opts: LatencyOptions = {}): Promise<Figure[]> {
  const run = await alertsLatencyRun(opts);
  const sms = latencyStats(run.presses, (p) => p.sms);
  const siren = latencyStats(run.presses, (p) => p.siren);
  // Same bench, CAP folder on tmpfs: what the CAP file's synchronous fsyncs (written before the
  // SMS is handed over) add to the SMS.
  const fast = await alertsLatencyRun({ ...opts, incidents: 50, capOnTmpfs: true });
  const smsFast = latencyStats(fast.presses, (p) => p.sms);
  return [
    {
      ...p99Figure(
        'A1 p99',
        sms,
        'SMS',
        `same presses: siren on() p50 ${ms(siren.p50)}; ` +
          `CAP folder on tmpfs instead of the disk: p50 ${ms(smsFast.p50)}, p99 ${ms(smsFast.p99)} (n=${smsFast.xs.length}, ×${(sms.p50 / smsFast.p50).toFixed(1)} p50 with the disk); ` +
          `background ${Math.round(run.backgroundPerSecond)} readings/s; FILES spool, no daemon`,
      ),
      capOnTmpfs: { p50: smsFast.p50, p99: smsFast.p99, n: smsFast.xs.length, missed: smsFast.missed },
      sirenP50: siren.p50,
      sirenP99: siren.p99,
      outboxFiles: run.outboxFiles,
      backgroundPerSecond: run.backgroundPerSecond,
    },
    ...(gammuSmsdAvailable() ? await throughDaemon(opts) : []),
  ];
}

/**
 * Beyond the figure: the real gammu-smsd (gammu's dummy phone, LoopSleep 1 s as in the tests'
 * rig) serving the spool, one press every ~2 s; from the reading to the daemon's move of the file
 * to sent/, i.e. the phone took it. The daemon's own polling, not siaga, sets this: it sends about
 * one message a second. 15 incidents (30 messages with their all-clears), because in longer runs
 * the dummy phone stopped taking messages after about 37, with nothing in the daemon's log.
 */
async function throughDaemon(opts: LatencyOptions): Promise<Figure[]> {
  const run = await alertsLatencyRun({ ...opts, incidents: 15, everyMs: 2000, daemon: true });
  const sent = latencyStats(run.presses, (p) => p.sent);
  const outbox = latencyStats(run.presses, (p) => p.sms);
  return [
    {
      figure: 'A1 via gammu-smsd',
      value: sent.p99,
      unit: 'ms',
      notes: `p99 to sent/ (the phone took it): p50 ${ms(sent.p50)}, max ${ms(sent.max)}, n=${sent.xs.length}, ${sent.missed} not sent in 15 s; outbox in the same run p50 ${ms(outbox.p50)}; gammu-smsd 1 s loop, dummy phone`,
      p50: sent.p50,
      p99: sent.p99,
      n: sent.xs.length,
      missed: sent.missed,
    },
  ];
}
