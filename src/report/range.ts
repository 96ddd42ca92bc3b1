import type { Config } from '../config/schema.js';
import type { Db } from '../store/db.js';
import { localDay, nextDay } from './local-day.js';
import { buildSummary, type DailySummary, loadSummaries } from './summary.js';

/** A day the gateway never ran and that holds no reading says nothing: it is left out, not "quiet". */
const sawSomething = (s: DailySummary) => s.gateway.uptime_s !== 0 || s.readings.received > 0;

/**
 * The daily summaries of the local days touching [from, to): stored ones as stored, the others
 * (today, or days before the summary job ran) built from the readings. `siaga export --summary`
 * and the village screen's download both call this.
 */
export function summariesBetween(
  db: Db,
  config: Config,
  from: number,
  to: number,
  now: number,
): DailySummary[] {
  const tz = config.gateway.site.tz;
  const first = localDay(from, tz);
  const last = localDay(to - 1, tz);
  const stored = new Map(loadSummaries(db, first, last).map((s) => [s.day, s]));
  const days: DailySummary[] = [];
  for (let day = first; day <= last; day = nextDay(day, tz)) {
    const s =
      stored.get(day) ??
      buildSummary(db, day, config.gateway.site, config.gateway.id, {
        tz,
        zones: config.zones.map((z) => z.id),
        nodes: config.nodes.map((n) => n.id),
        fenceMinKv: config.detection.fence_min_kv,
        now,
      });
    if (sawSomething(s)) days.push(s);
  }
  return days;
}
