import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Clock, EventSink } from '../domain/index.js';
import type { Db } from '../store/db.js';
import { prune } from '../store/prune.js';
import type { StoreWriter } from '../store/writer.js';
import { buildSummary, type DailySummary, previousDay, storeSummary } from '../uplink/summary.js';
import type { Counters } from './counters.js';

/**
 * The bodies of the scheduled jobs (behaviour.md, Scheduling). The composition root decides when
 * they run; each takes what it works on explicitly.
 */
export interface JobDeps {
  db: Db;
  writer: StoreWriter;
  clock: Clock;
  events: EventSink;
  log: Logger;
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
export function runSummary(d: JobDeps, c: Config, startedAt: number): DailySummary {
  d.writer.flush();
  const now = d.clock.now();
  const s = buildSummary(d.db, previousDay(now), c.gateway.site, c.gateway.id, {
    uptimeS: Math.round((now - startedAt) / 1000),
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

/** Keeps the last status in SQLite so `siaga status` can still say something when the gateway is down. */
export function statusSaver(d: Omit<JobDeps, 'events'>, status: () => Record<string, unknown>): () => void {
  const put = d.db.prepare(
    "INSERT INTO meta (key, value) VALUES ('status', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
  );
  return () => {
    try {
      d.writer.flush();
      put.run(JSON.stringify({ ...status(), saved_at: d.clock.now() }));
    } catch (e) {
      d.log.warn({ err: String(e) }, 'could not save the status snapshot');
    }
  };
}
