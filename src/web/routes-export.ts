import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { readingsCsv, summariesBetween, summaryCsv } from '../report/index.js';
import { check, visitorOf } from './access.js';
import type { WebContext } from './context.js';
import { HttpError } from './http-errors.js';
import { timeParam } from './params.js';
import { querySchema, TIME_TEXT } from './schemas.js';

/** Lines handed to the socket per turn of the event loop, so a month's export never stalls ingest. */
const LINES_PER_CHUNK = 500;

/** The village secretary's downloads: `siaga export`'s CSVs (same functions), for a chosen range. */
export function exportRoutes(app: FastifyInstance, c: WebContext): void {
  app.get(
    '/api/export.csv',
    querySchema({ from: TIME_TEXT, to: TIME_TEXT, summary: { type: 'boolean', default: false } }, ['from']),
    async (req, reply) => {
      const config = c.config();
      check('look', visitorOf(req, c.sessions, config), req, c.sessions, config);
      const q = req.query as { from: string; to?: string; summary: boolean };
      const now = c.clock.now();
      const from = timeParam('from', q.from, now, config);
      const to = timeParam('to', q.to ?? 'now', now, config);
      if (!(from < to)) throw new HttpError(400, 'bad_param', 'to: must be after from', 'to');
      const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
      const name = `siaga-${config.gateway.id}-${q.summary ? 'ringkasan' : 'bacaan'}-${day(from)}-${day(to - 1)}.csv`;
      reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('cache-control', 'no-store');
      if (q.summary) return summaryCsv(summariesBetween(c.db, config, from, to, now), config.gateway.site.tz);
      const lines = readingsCsv(c.db, from, to, config.gateway.site, config.gateway.id);
      return reply.send(Readable.from(chunks(lines)));
    },
  );
}

function* chunks(lines: Generator<string>): Generator<string> {
  let buf: string[] = [];
  for (const line of lines) {
    buf.push(line);
    if (buf.length >= LINES_PER_CHUNK) {
      yield buf.join('');
      buf = [];
    }
  }
  if (buf.length) yield buf.join('');
}
