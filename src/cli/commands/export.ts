import { createWriteStream, openSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../../domain/index.js';
import { readingsCsv, summariesBetween, summaryCsv } from '../../report/index.js';
import { formatLocalTime } from '../../util/local-time.js';
import { cliConfig, type GlobalOpts, readDb } from '../context.js';
import { parseTime } from '../duration.js';
import { action, out, t } from '../io.js';

/** Opened before any work so a bad -o is one sentence (not a stream's stack trace) and no half file. */
function openOutput(path: string): number {
  try {
    return openSync(path, 'w', 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(t('export.cannot_write', { path, code }));
  }
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(t('export.cmd'))
    .requiredOption('--from <time>', t('export.opt.from'))
    .option('--to <time>', t('export.opt.to'), 'now')
    .option('--summary', t('export.opt.summary'))
    .option('-o, --output <file>', t('export.opt.output'))
    .action(
      action(async (o: { from: string; to: string; summary?: boolean; output?: string }) => {
        const now = Date.now();
        const { config } = cliConfig(program.opts<GlobalOpts>());
        const tz = config.gateway.site.tz;
        const from = parseTime(o.from, now, tz);
        const to = parseTime(o.to, now, tz);
        if (!(from < to)) throw new UsageError(t('export.from_after_to'));
        const db = readDb(config);
        const sink = o.output ? createWriteStream(o.output, { fd: openOutput(o.output) }) : process.stdout;
        let rows = 0;
        try {
          if (o.summary) {
            const days = summariesBetween(db, config, from, to, now);
            sink.write(summaryCsv(days, tz));
            rows = days.length;
          } else {
            for (const line of readingsCsv(db, from, to, config.gateway.site, config.gateway.id)) {
              if (!sink.write(line)) await new Promise<void>((r) => sink.once('drain', () => r()));
              rows++;
            }
            rows--; // header
          }
        } finally {
          db.close();
        }
        if (o.output) {
          await new Promise<void>((resolve, reject) =>
            (sink as ReturnType<typeof createWriteStream>).end((e?: Error | null) =>
              e ? reject(e) : resolve(),
            ),
          );
          out(
            t(o.summary ? 'export.wrote_days' : 'export.wrote_readings', {
              rows,
              file: o.output,
              from: formatLocalTime(from, tz),
              to: formatLocalTime(to, tz),
            }),
          );
        }
      }),
    );
}
