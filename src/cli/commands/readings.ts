import type { Command } from 'commander';
import { isReadingType, radioRate, UsageError } from '../../domain/index.js';
import { queryReadings } from '../../store/readings.js';
import { cliConfig, type GlobalOpts, readDb } from '../context.js';
import { parseTime } from '../duration.js';
import { action, json, out } from '../io.js';
import { table } from '../table.js';

export function registerReadings(program: Command): void {
  program
    .command('readings')
    .description('stored readings (reads the database; works with the gateway running or stopped)')
    .option('--since <time>', 'how far back: 30m, 6h, 2d, or a date/time', '1h')
    .option('--until <time>', 'up to (default now)')
    .option('--node <id>', 'only this node')
    .option('--type <type>', 'only this reading type (hb pir seis beam cam fence gps btn)')
    .option('--limit <n>', 'at most this many (the newest)', '200')
    .option('--json', 'JSON for scripts')
    .action(
      action(
        (o: {
          since: string;
          until?: string;
          node?: string;
          type?: string;
          limit: string;
          json?: boolean;
        }) => {
          const now = Date.now();
          const limit = Number(o.limit);
          if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit takes a whole number ≥ 1');
          if (o.type !== undefined && !isReadingType(o.type)) {
            throw new UsageError(`unknown type "${o.type}"; use one of hb pir seis beam cam fence gps btn`);
          }
          const { config } = cliConfig(program.opts<GlobalOpts>());
          const db = readDb(config);
          try {
            const rows = queryReadings(db, {
              since: parseTime(o.since, now, config.gateway.site.tz),
              ...(o.until ? { until: parseTime(o.until, now, config.gateway.site.tz) } : {}),
              ...(o.node ? { node: o.node } : {}),
              ...(o.type ? { type: o.type } : {}),
              limit,
            });
            if (o.json) return json(rows);
            if (rows.length === 0) return out('no readings in that time range');
            out(
              table(
                ['time', 'node', 'type', 'seq', 'via', 'values'],
                rows.map((r) => [
                  new Date(r.ts).toISOString().replace('T', ' ').slice(0, 19) +
                    (r.clockOk ? '' : ' (clock?)'),
                  r.node,
                  r.type,
                  r.seq,
                  r.via + (r.radio ? ` ${r.radio.rssi}dBm ${radioRate(r.radio)}` : ''),
                  Object.entries(r.v)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(' '),
                ]),
              ),
            );
          } finally {
            db.close();
          }
        },
      ),
    );
}
