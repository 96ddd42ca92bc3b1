import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { CapFolderReader, capFolderFeed } from '../alerts/cap-feed.js';
import { check, visitorOf } from './access.js';
import type { WebContext } from './context.js';
import { HttpError } from './http-errors.js';

/** `20261201T124205Z-siaga-<incident>-002.xml` as cap-feed.ts names them: nothing else is served. */
const CAP_FILE = /^\d{8}T\d{6}Z-[A-Za-z0-9._-]+\.xml$/;

/**
 * The CAP documents for BPBD's systems (README, Alerts for people): an Atom feed of
 * `alerts.cap.dir`, newest first, and each document as the file the gateway wrote.
 */
export function capRoutes(app: FastifyInstance, c: WebContext): void {
  const dir = () => {
    const config = c.config();
    if (!config.alerts.enabled)
      throw new HttpError(404, 'not_found', 'alerts are not enabled on this gateway');
    return config.alerts.cap.dir;
  };
  const reader = new CapFolderReader();
  app.get('/cap/feed.atom', async (req, reply) => {
    const config = c.config();
    check('look', visitorOf(req, c.sessions, config), req, c.sessions, config);
    const { xml } = await capFolderFeed(reader, dir(), {
      id: `urn:siaga:cap:${config.gateway.id}`,
      title: `siaga ${config.gateway.site.name}: peringatan gajah / elephant alerts (CAP 1.2)`,
      base: '/cap/',
      now: c.clock.now(),
    });
    return reply.header('content-type', 'application/atom+xml; charset=utf-8').send(xml);
  });
  app.get('/cap/:file', async (req, reply) => {
    const config = c.config();
    check('look', visitorOf(req, c.sessions, config), req, c.sessions, config);
    const { file } = req.params as { file: string };
    if (!CAP_FILE.test(file)) throw new HttpError(404, 'not_found', `no CAP document "${file}"`);
    const xml = await readFile(join(dir(), file)).catch(() => {
      throw new HttpError(404, 'not_found', `no CAP document "${file}"`);
    });
    return reply.header('content-type', 'application/cap+xml; charset=utf-8').send(xml);
  });
}
