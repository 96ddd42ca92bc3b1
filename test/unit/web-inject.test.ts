import { describe, expect, it } from 'vitest';
import type { AlertServices, IncidentView } from '../../src/alerts/view.js';
import { hashPassword } from '../../src/broker/password.js';
import type { Config } from '../../src/config/schema.js';
import { RemoteError } from '../../src/domain/index.js';
import { LiveFeed } from '../../src/gateway/control-api.js';
import type { GatewayServices } from '../../src/gateway/services.js';
import { openDb } from '../../src/store/db.js';
import { buildWebApp } from '../../src/web/server.js';
import { silentLog, testConfig, tmpDir } from '../helpers/gateway.js';

const incident: IncidentView = {
  id: '01JINC',
  zone: 'z-braja',
  zone_name: 'Braja',
  level: 'AWAS',
  peak: 'AWAS',
  code: '4821',
  state: 'open',
  opened: '2026-12-01T10:00:00.000Z',
  updated: '2026-12-01T10:00:00.000Z',
  reason: 'btn-pos1 panic button pressed',
  notifications: [],
  acks: [],
};

/** The page's server alone, given through fastify's inject: the alerts feature is a fake here. */
async function app(alerts?: AlertServices) {
  const dir = tmpDir();
  const config: Config = testConfig(
    `web: {enabled: true}
local_broker:
  users: [{username: kantor, password_hash: "${await hashPassword('pw-kantor')}", role: operator}]`,
    dir,
  );
  const db = openDb(config.storage.path);
  const services = {
    status: () => ({ gateway: 'gw-test' }),
    nodes: () => [],
    ...(alerts ? { alerts } : {}),
  } as unknown as GatewayServices;
  const feed = new LiveFeed();
  const web = buildWebApp({
    config: () => config,
    services,
    db,
    subscribe: feed.subscribe,
    clock: { now: () => Date.now() },
    log: silentLog,
    count: () => {},
  });
  const cookies: string[] = [];
  const keep = (set: string | string[] | undefined) => {
    for (const c of [set ?? []].flat()) cookies.push(c.split(';')[0] ?? '');
  };
  const session = await web.app.inject({ method: 'GET', url: '/api/session' });
  keep(session.headers['set-cookie']);
  let csrf = (session.json() as { csrf: string }).csrf;
  const login = await web.app.inject({
    method: 'POST',
    url: '/api/login',
    headers: { 'x-csrf-token': csrf, cookie: cookies.join('; ') },
    payload: { username: 'kantor', password: 'pw-kantor' },
  });
  expect(login.statusCode).toBe(200);
  keep(login.headers['set-cookie']);
  csrf = (login.json() as { csrf: string }).csrf;
  const post = (url: string) =>
    web.app.inject({
      method: 'POST',
      url,
      headers: { 'x-csrf-token': csrf, cookie: cookies.join('; ') },
      payload: {},
    });
  return { web, post, close: () => web.app.close().then(() => db.close()) };
}

describe('incidents on the village screen (fastify inject)', () => {
  it('lists the alerts feature’s incidents and acknowledges one as the logged-in user, channel web', async () => {
    const acks: unknown[] = [];
    const alerts: AlertServices = {
      list: () => ({ incidents: [incident] }),
      ack: async (codeOrId, by, channel) => {
        acks.push([codeOrId, by, channel]);
        if (codeOrId !== incident.id) throw new RemoteError(`no open incident ${codeOrId}`);
        return { ...incident, state: 'acked', acks: [{ by, channel, at: incident.updated }] };
      },
      test: async () => ({ contact: '', sms: '', cap: '' }),
      inbox: async () => ({ result: '' }),
    };
    const a = await app(alerts);
    try {
      const list = await a.web.app.inject({ method: 'GET', url: '/api/incidents' });
      expect(list.json()).toEqual({ incidents: [incident] });
      const ok = await a.post(`/api/incidents/${incident.id}/ack`);
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ state: 'acked', acks: [{ by: 'kantor', channel: 'web' }] });
      const unknown = await a.post('/api/incidents/9999/ack');
      expect(unknown.statusCode).toBe(409);
      expect(unknown.json()).toMatchObject({ error: 'no open incident 9999' });
      expect(acks).toEqual([
        [incident.id, 'kantor', 'web'],
        ['9999', 'kantor', 'web'],
      ]);
    } finally {
      await a.close();
    }
  });

  it('answers 404 "alerts are not enabled" without the alerts feature', async () => {
    const a = await app();
    try {
      const list = await a.web.app.inject({ method: 'GET', url: '/api/incidents' });
      expect([list.statusCode, list.json().error]).toEqual([404, 'alerts are not enabled']);
      const ack = await a.post('/api/incidents/01JINC/ack');
      expect([ack.statusCode, ack.json().error]).toEqual([404, 'alerts are not enabled']);
    } finally {
      await a.close();
    }
  });

  it('serves the page with security headers and a 304 for an unchanged script', async () => {
    const a = await app();
    try {
      const page = await a.web.app.inject({ method: 'GET', url: '/' });
      expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.body).toContain('"gateway":"gw-test"');
      const js = await a.web.app.inject({ method: 'GET', url: '/assets/app.js' });
      const again = await a.web.app.inject({
        method: 'GET',
        url: '/assets/app.js',
        headers: { 'if-none-match': String(js.headers.etag) },
      });
      expect([js.statusCode, again.statusCode]).toEqual([200, 304]);
    } finally {
      await a.close();
    }
  });
});
