import type { Command } from 'commander';
import { radioRate } from '../../domain/index.js';
import { queryReadings } from '../../store/readings.js';
import { cliDbTarget, type GlobalOpts, readDb } from '../context.js';
import { parseTime } from '../duration.js';
import { action, json, out } from '../io.js';
import { table } from '../table.js';
import { formatLocal, siteTz } from '../time.js';
import { known, numberIn, readingType } from '../validate.js';

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
          const limit = numberIn('--limit', o.limit, 1, 1_000_000, true);
          if (o.type !== undefined) readingType(o.type);
          const { config } = cliDbTarget(program.opts<GlobalOpts>());
          if (o.node !== undefined) known(config, 'node', o.node);
          const tz = siteTz(config);
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
                  formatLocal(r.ts, tz, { seconds: true }) + (r.clockOk ? '' : ' (clock?)'),
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
