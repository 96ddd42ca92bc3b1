import { createWriteStream, openSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../../domain/index.js';
import {
  buildSummary,
  type DailySummary,
  loadSummaries,
  localDay,
  readingsCsv,
  summaryCsv,
} from '../../uplink/summary.js';
import { cliConfig, type GlobalOpts, readDb } from '../context.js';
import { parseTime } from '../duration.js';
import { action, out } from '../io.js';

const DAY_MS = 86_400_000;

/** Opened before any work so a bad -o is one sentence (not a stream's stack trace) and no half file. */
function openOutput(path: string): number {
  try {
    return openSync(path, 'w', 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(
      `cannot write ${path} (${code}); give -o a file in a directory that exists and that you may write to`,
    );
  }
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      'CSV of stored readings, or of the daily summaries, with the site columns (village code, park, coordinates)',
    )
    .requiredOption('--from <time>', 'start: a date (2026-11-01), a date-time, or a duration back (7d)')
    .option('--to <time>', 'end (default now)', 'now')
    .option('--summary', 'one row per day (Satu Data daily summary) instead of one row per reading')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(
      action(async (o: { from: string; to: string; summary?: boolean; output?: string }) => {
        const now = Date.now();
        const from = parseTime(o.from, now);
        const to = parseTime(o.to, now);
        if (!(from < to)) throw new UsageError('--from must be before --to');
        const { config } = cliConfig(program.opts<GlobalOpts>());
        const db = readDb(config);
        const sink = o.output ? createWriteStream(o.output, { fd: openOutput(o.output) }) : process.stdout;
        let rows = 0;
        try {
          if (o.summary) {
            const stored = new Map(loadSummaries(db, localDay(from), localDay(to)).map((s) => [s.day, s]));
            const days: DailySummary[] = [];
            for (let t = from; t < to; t += DAY_MS) {
              const day = localDay(t);
              days.push(
                stored.get(day) ??
                  buildSummary(db, day, config.gateway.site, config.gateway.id, {
                    zones: config.zones.map((z) => z.id),
                    nodes: config.nodes.map((n) => n.id),
                    fenceMinKv: config.detection.fence_min_kv,
                    now,
                  }),
              );
            }
            sink.write(summaryCsv(days));
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
          out(`wrote ${rows} ${o.summary ? 'day(s)' : 'reading(s)'} to ${o.output}`);
        }
      }),
    );
}
