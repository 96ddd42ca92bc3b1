import type { Command } from 'commander';
import { radioRate } from '../../domain/index.js';
import { queryReadings } from '../../store/readings.js';
import { formatLocalTime } from '../../util/local-time.js';
import { cliDbTarget, type GlobalOpts, readDb } from '../context.js';
import { parseTime } from '../duration.js';
import { action, json, out, t } from '../io.js';
import { table } from '../table.js';
import { siteTz } from '../time.js';
import { known, numberIn, readingType } from '../validate.js';

export function registerReadings(program: Command): void {
  program
    .command('readings')
    .description(t('readings.cmd'))
    .option('--since <time>', t('readings.opt.since'), '1h')
    .option('--until <time>', t('readings.opt.until'))
    .option('--node <id>', t('opt.node'))
    .option('--type <type>', t('readings.opt.type'))
    .option('--limit <n>', t('readings.opt.limit'), '200')
    .option('--json', t('opt.json'))
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
            if (rows.length === 0) return out(t('readings.none'));
            out(
              table(
                (['time', 'node', 'type', 'seq', 'via', 'values'] as const).map((c) =>
                  t(`readings.col.${c}`),
                ),
                rows.map((r) => [
                  formatLocalTime(r.ts, tz, { seconds: true }) + (r.clockOk ? '' : t('readings.clock_doubt')),
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
