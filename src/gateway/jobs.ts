import type { Statement } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Clock, EventSink } from '../domain/index.js';
import { buildSummary, type DailySummary, previousDay, storeSummary } from '../report/index.js';
import type { Db } from '../store/db.js';
import { prune } from '../store/prune.js';
import type { RunLog } from '../store/run-log.js';
import type { CommitParticipant, StoreWriter } from '../store/writer.js';
import type { Counters } from './counters.js';
import { type CronTask, scheduleCron } from './cron.js';

/**
 * The bodies of the scheduled jobs (docs/behaviour.md §Schedules). The composition root decides when
 * they run; each takes what it works on explicitly.
 */
export interface JobDeps {
  db: Db;
  writer: StoreWriter;
  clock: Clock;
  events: EventSink;
  log: Logger;
  /** When the gateway was running; the summary's uptime comes from it. */
  runLog?: RunLog;
}

/** One line of the cron table: a name for the log, when (cron, in the site's zone), what. */
export interface Job {
  name: string;
  cron: string;
  run: () => unknown;
}

/**
 * Starts the jobs on their cron in the site's time zone `tz` (most Pi images run in UTC: without
 * it the 00:05 summary would run at 07:05 WIB and cover the wrong day). A job that throws or
 * rejects is logged with its error and runs again at its next time.
 */
export function scheduleJobs(jobs: readonly Job[], tz: string, log: Logger, now?: () => number): CronTask[] {
  return jobs.map((j) =>
    scheduleCron(
      j.name,
      j.cron,
      tz,
      async () => {
        try {
          await j.run();
        } catch (err) {
          log.warn({ err, job: j.name }, `scheduled job ${j.name} failed; it runs again at its next time`);
        }
      },
      now,
    ),
  );
}

/**
 * Retention and the size cap. Every reading the centre never received that is pruned (expired or
 * for space) is reported to it as one `pruned_unforwarded` event: the centre must learn of a gap
 * it cannot fill by waiting.
 */
export function runPrune(d: JobDeps, c: Config): void {
  d.writer.flush();
  const res = prune(d.db, {
    now: d.clock.now(),
    retentionDays: c.storage.retention_days,
    eventsRetentionDays: c.storage.events_retention_days,
    maxDbMb: c.storage.max_db_mb,
  });
  d.log.info({ c: 'store', ...res }, 'pruned');
  const lost = res.unforwarded;
  if (lost.count > 0) {
    d.events.emit('pruned_unforwarded', {
      count: lost.count,
      oldest_ts: lost.oldestTs,
      newest_ts: lost.newestTs,
      expired: lost.count - res.unforwardedForSpace,
      for_space: res.unforwardedForSpace,
    });
  }
}

/** Yesterday's Satu Data summary for the village, stored (for `siaga export`) and returned to publish. */
export function runSummary(d: JobDeps, c: Config): DailySummary {
  d.writer.flush();
  // The run up to this moment counts, whatever the heartbeat schedule is.
  d.runLog?.tick();
  const now = d.clock.now();
  const tz = c.gateway.site.tz;
  const s = buildSummary(d.db, previousDay(now, tz), c.gateway.site, c.gateway.id, {
    tz,
    zones: c.zones.map((z) => z.id),
    nodes: c.nodes.map((n) => n.id),
    fenceMinKv: c.detection.fence_min_kv,
  });
  storeSummary(d.db, s);
  return s;
}

/**
 * Refused LoRa frames as one rate-limited `lora_rejected` event per heartbeat (with the counts
 * by reason), never one event per frame: a noisy neighbour's LoRaWAN network must not flood the
 * outbox.
 */
export function loraRejectedReporter(counters: Counters, events: EventSink): () => void {
  let seen = 0;
  return () => {
    const byReason = counters.snapshot().lora ?? {};
    const total = Object.values(byReason).reduce((a, b) => a + b, 0);
    if (total > seen) events.emit('lora_rejected', { since_last: total - seen, by_reason: byReason });
    seen = total;
  };
}

/**
 * The last status in SQLite so `siaga status` can still say something when the gateway is down,
 * and the run log's "running up to now", written inside the group commit (a participant): at a
 * heartbeat they ride the next commit of readings. In a commit of their own, after a forced flush
 * of the readings, they added ~10 WAL pages a minute, ~15 B per reading on a quiet night (P9).
 */
export class StatusSnapshot implements CommitParticipant {
  private due = false;
  private readonly put: Statement<[string]>;

  constructor(
    private readonly d: Omit<JobDeps, 'events'>,
    private readonly status: () => Record<string, unknown>,
  ) {
    this.put = d.db.prepare(
      "INSERT INTO meta (key, value) VALUES ('status', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    );
  }

  /** With the next group commit (a heartbeat: within the routine delay). */
  later(): void {
    this.due = true;
    this.d.writer.requestFlush();
  }

  /** At once, with whatever is pending (a stop). */
  now(): void {
    this.later();
    try {
      this.d.writer.flush();
    } catch (e) {
      this.d.log.warn({ err: e }, 'could not save the status snapshot');
    }
  }

  writeDirty(): void {
    if (!this.due) return;
    let snapshot: string;
    try {
      snapshot = JSON.stringify({ ...this.status(), saved_at: this.d.clock.now() });
    } catch (e) {
      // Never the readings' commit's failure: this snapshot is skipped, the next heartbeat's tried.
      this.due = false;
      this.d.log.warn({ err: e }, 'could not save the status snapshot');
      return;
    }
    this.put.run(snapshot);
    this.d.runLog?.tick();
  }

  committed(): void {
    this.due = false;
  }
}
