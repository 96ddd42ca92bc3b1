import { Writable } from 'node:stream';
import type { Config } from '../../src/config/schema.js';
import type { Gateway } from '../../src/main.js';
import { testConfig } from './gateway.js';

/** The test config (one zone z-braja, a print siren s-1) under another gateway id. */
export function gwConfig(id: string, extra: string): Config {
  const c = testConfig(extra);
  return { ...c, gateway: { ...c.gateway, id } };
}

/** Collects what a `print` siren writes, so a test can tell whether it ever sounded. */
export function sirenOut() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  return { stream, sounded: () => / ON /.test(text) };
}

export function levelEvents(g: Gateway): Record<string, unknown>[] {
  return (
    g.db.prepare("SELECT fields FROM events WHERE kind = 'level' ORDER BY eid").all() as { fields: string }[]
  ).map((r) => JSON.parse(r.fields) as Record<string, unknown>);
}

export function neighbourOf(g: Gateway) {
  const n = g.status().neighbours?.[0];
  if (!n) throw new Error('no neighbours in status');
  return n;
}
