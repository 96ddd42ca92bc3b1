import { readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { get as httpsGet } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSg1 } from '../../src/codecs/sg1.js';
import { type Gateway, startGateway } from '../../src/main.js';
import { silentLog, testConfig, tmpDir } from '../helpers/gateway.js';
import { must } from '../helpers/must.js';
import { makeTestPki } from '../helpers/tls-cert.js';
import { until } from '../helpers/wait.js';
import { quiet, WebClient, webUrl, webUsersYaml } from '../helpers/web.js';

const UPLINK_PASSWORD = 'uplink-secret-web-never-4e1f';
const serial = { via: 'serial', from: '/dev/ttyUSB0' } as const;

/** A gateway with the village screen on, the way `siaga run` builds it, on free ports. */
async function gatewayWithWeb(extra: string, dir = tmpDir()): Promise<Gateway> {
  const users = await webUsersYaml();
  const config = testConfig(
    `web: {enabled: true, host: 127.0.0.1, port: 8080${extra}}
local_broker:
  auth_fail_limit: 3
  users:
${users}
uplink: {url: "mqtt://127.0.0.1:9", password: "${UPLINK_PASSWORD}"}`,
    dir,
  );
  return startGateway({ config, log: silentLog, noControl: true, sirenOut: quiet(), ports: { web: 0 } });
}

/** Reads an SSE stream until `pred` matches one of its events. */
function sseUntil(
  url: string,
  pred: (ev: { event: string; data: unknown }) => boolean,
): { result: Promise<{ event: string; data: unknown }[]>; close(): void } {
  const seen: { event: string; data: unknown }[] = [];
  let req: ReturnType<typeof request> | undefined;
  const result = new Promise<{ event: string; data: unknown }[]>((resolve, reject) => {
    req = request(url, (res) => {
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i = buf.indexOf('\n\n');
        while (i >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) {
            const ev = { event, data: JSON.parse(data) as unknown };
            seen.push(ev);
            if (pred(ev)) resolve(seen);
          }
          i = buf.indexOf('\n\n');
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
  return { result, close: () => req?.destroy() };
}

describe('the village screen API on a running gateway', () => {
  let gw: Gateway;
  let base: string;

  beforeAll(async () => {
    gw = await gatewayWithWeb('');
    base = webUrl(gw);
    gw.ingest.acceptLine(encodeSg1({ node: 'pir-07', seq: 10, type: 'pir', v: { n: 1, bat: 3.71 } }), serial);
    gw.writer.flush();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('answers /api/status and /api/nodes with what the CLI gets from the same services', async () => {
    const c = new WebClient(base);
    const status = await c.json<{ gateway: string; zones: { zone: string; level: string }[] }>('/api/status');
    expect(status.status).toBe(200);
    expect(status.body.gateway).toBe('gw-test');
    expect(status.body.zones.map((z) => [z.zone, z.level])).toEqual([['z-braja', 'NORMAL']]);
    const nodes = await c.json<unknown[]>('/api/nodes');
    expect(nodes.body).toEqual(JSON.parse(JSON.stringify(gw.services.nodes())));
  });

  it('serves readings and events with the CLI filters; `since` takes a duration or an ISO time', async () => {
    const c = new WebClient(base);
    const r = await c.json<{ node: string; seq: number }[]>('/api/readings?since=1h&node=pir-07&type=pir');
    expect(r.status).toBe(200);
    expect(r.body.map((x) => [x.node, x.seq])).toEqual([['pir-07', 10]]);
    const none = await c.json<unknown[]>(
      `/api/readings?since=${new Date(Date.now() + 60_000).toISOString()}`,
    );
    expect(none.body).toEqual([]);
    const ev = await c.json<{ kind: string }[]>(
      `/api/events?since=${new Date(Date.now() - 3_600_000).toISOString()}`,
    );
    expect(ev.status).toBe(200);
    expect(Array.isArray(ev.body)).toBe(true);
  });

  it('refuses bad parameters with 400 naming the field, and unknown routes with 404 JSON', async () => {
    const c = new WebClient(base);
    for (const [q, field] of [
      ['limit=0', 'limit'],
      ['since=yesterday-ish', 'since'],
      ['node=pir-99', 'node'],
      ['type=radar', 'type'],
      ['colour=red', 'colour'],
    ] as const) {
      const r = await c.json<{ field?: string; error: string }>(`/api/readings?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.field, q).toBe(field);
    }
    const ev = await c.json<{ field?: string }>('/api/events?since=soon');
    expect([ev.status, ev.body.field]).toEqual([400, 'since']);
    const missing = await c.fetch('/api/nope');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/json/);
    expect(((await missing.json()) as { code: string }).code).toBe('not_found');
  });

  it('a wrong password gets the same answer as an unknown user; a node account cannot log in', async () => {
    const c = await new WebClient(base).start();
    const wrong = await c.login('kantor', 'not-the-password');
    const unknown = await c.post('/api/login', { username: 'nobody', password: 'whatever' });
    const device = await c.login('btn-pos1');
    expect(wrong).toEqual(unknown);
    expect(device).toEqual(unknown);
    expect(wrong.status).toBe(401);
    const missingField = await c.post('/api/login', { username: 'kantor' });
    expect([missingField.status, missingField.body.field]).toEqual([400, 'password']);
  });

  it('actions: 401 without a login, 403 for a viewer or without the CSRF token, done by an operator', async () => {
    const anon = await new WebClient(base).start();
    expect((await anon.post('/api/zones/z-braja/silence', { minutes: 30, reason: 'x' })).status).toBe(401);

    const viewer = await new WebClient(base).start();
    expect((await viewer.login('tamu')).status).toBe(200);
    const byViewer = await viewer.post('/api/zones/z-braja/silence', { minutes: 30, reason: 'x' });
    expect([byViewer.status, byViewer.body.code]).toEqual([403, 'role']);

    const op = await new WebClient(base).start();
    expect((await op.login('kantor')).status).toBe(200);
    const forged = await op.post('/api/zones/z-braja/silence', { minutes: 30, reason: 'x' }, { csrf: false });
    expect([forged.status, forged.body.code]).toEqual([403, 'csrf']);
    expect(gw.sirens.silences()).toEqual([]);

    const noReason = await op.post('/api/zones/z-braja/silence', { minutes: 30 });
    expect([noReason.status, noReason.body.field]).toEqual([400, 'reason']);
    const tooLong = await op.post('/api/zones/z-braja/silence', { minutes: 241, reason: 'x' });
    expect([tooLong.status, tooLong.body.field]).toEqual([400, 'minutes']);
    const unknownZone = await op.post('/api/zones/z-nowhere/silence', { minutes: 30, reason: 'x' });
    expect(unknownZone.status).toBe(404);

    const ok = await op.post('/api/zones/z-braja/silence', { minutes: 30, reason: 'gajah sudah pergi' });
    expect(ok.status).toBe(200);
    const status = gw.services.status() as { silences: { zone: string; by: string; reason?: string }[] };
    expect(status.silences).toMatchObject([
      { zone: 'z-braja', by: 'web:kantor', reason: 'gajah sudah pergi' },
    ]);
    gw.writer.flush();
    const events = await op.json<{ kind: string; fields: Record<string, unknown> }[]>('/api/events?since=1h');
    expect(events.body.filter((e) => e.kind === 'siren_silenced').at(-1)?.fields).toMatchObject({
      zone: 'z-braja',
      by: 'web:kantor',
      reason: 'gajah sudah pergi',
    });

    const lifted = await op.post('/api/zones/z-braja/unsilence', {});
    expect([lifted.status, lifted.body.cleared]).toEqual([200, true]);
    expect(gw.sirens.silences()).toEqual([]);
  });

  it('a siren test from the page sounds the siren and records who asked', async () => {
    const admin = await new WebClient(base).start();
    await admin.login('teknisi');
    const r = await admin.post('/api/sirens/s-1/test', {});
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ siren: 's-1', ok: true });
    gw.writer.flush();
    const events =
      await admin.json<{ kind: string; fields: Record<string, unknown> }[]>('/api/events?since=1h');
    expect(events.body.find((e) => e.kind === 'siren_test')?.fields).toMatchObject({
      siren: 's-1',
      by: 'web:teknisi',
    });
    expect((await admin.post('/api/sirens/s-nope/test', {})).status).toBe(404);
  });

  it('incidents answer 404 "alerts are not enabled" while the alerts feature is off', async () => {
    const op = await new WebClient(base).start();
    await op.login('kantor');
    const r = await op.post('/api/incidents/1234/ack', {});
    expect([r.status, r.body.error]).toEqual([404, 'alerts are not enabled']);
  });

  it('after logout the session no longer acts', async () => {
    const op = await new WebClient(base).start();
    await op.login('kantor');
    const out = await op.post('/api/logout', {});
    expect(out.status).toBe(200);
    op.csrf = String(out.body.csrf);
    expect((await op.post('/api/zones/z-braja/unsilence', {})).status).toBe(401);
  });

  it('nothing the page or its API gives out holds a password hash or the uplink password', async () => {
    const c = new WebClient(base);
    const texts = await Promise.all(
      ['/', '/api/status', '/api/nodes', '/api/session', '/api/events?since=24h'].map(async (p) =>
        (await c.fetch(p)).text(),
      ),
    );
    for (const text of texts) {
      expect(text).not.toContain('scrypt$');
      expect(text).not.toContain(UPLINK_PASSWORD);
    }
    const page = must(texts[0], 'the page');
    expect(page).toMatch(/<meta name="csrf-token" content="[^"]+">/);
    expect((await c.fetch('/api/config', { method: 'POST' })).status).toBe(404);
  });

  it('streams a level change over SSE as it happens', async () => {
    const stream = sseUntil(
      `${base}/api/stream`,
      (ev) =>
        ev.event === 'event' &&
        (ev.data as { kind: string; fields: { level?: string } }).kind === 'level' &&
        (ev.data as { fields: { level?: string } }).fields.level === 'AWAS',
    );
    try {
      await until('the stream has its client', () => (gw.web.app?.hub.size ?? 0) > 0);
      gw.ingest.acceptLine(encodeSg1({ node: 'btn-pos1', seq: 5, type: 'btn', v: { p: 1 } }), serial);
      const seen = await stream.result;
      expect(seen[0]?.event).toBe('hello');
    } finally {
      stream.close();
    }
  });

  it('exports the readings CSV and the daily summary for a range', async () => {
    const c = new WebClient(base);
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const csv = await c.fetch(`/api/export.csv?from=${encodeURIComponent(from)}`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="siaga-gw-test-bacaan-/);
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toMatch(/^gateway_id,village_code,/);
    expect(lines.some((l) => l.includes('pir-07'))).toBe(true);
    const summary = await c.fetch('/api/export.csv?from=today&summary=true');
    expect(summary.status).toBe(200);
    expect((await summary.text()).split('\n')[0]).toMatch(/^day,/);
    const bad = await c.json<{ field: string }>('/api/export.csv?from=now&to=1h');
    expect([bad.status, bad.body.field]).toEqual([400, 'to']);
    const missing = await c.json<{ field: string }>('/api/export.csv');
    expect([missing.status, missing.body.field]).toEqual([400, 'from']);
  });
});

describe('the village screen with public_view off, and its login throttle', () => {
  let gw: Gateway;
  let dir: string;

  beforeAll(async () => {
    dir = tmpDir();
    gw = await gatewayWithWeb(', public_view: false', dir);
  });
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows nothing without a login, everything to a viewer', async () => {
    const c = await new WebClient(webUrl(gw)).start();
    expect((await c.fetch('/api/status')).status).toBe(401);
    expect((await c.fetch('/api/stream')).status).toBe(401);
    expect((await c.fetch('/')).status).toBe(200); // the page holds the login form
    await c.login('tamu');
    expect((await c.fetch('/api/status')).status).toBe(200);
  });

  it('blocks a user at an address after auth_fail_limit wrong passwords, even with the right one', async () => {
    const c = await new WebClient(webUrl(gw)).start();
    for (let i = 0; i < 3; i++) expect((await c.login('teknisi', `guess-${i}`)).status).toBe(401);
    const blocked = await c.login('teknisi');
    expect([blocked.status, blocked.body.code]).toEqual([429, 'throttled']);
    // Another user at the same address is not locked out by someone guessing teknisi's password.
    expect((await c.login('kantor')).status).toBe(200);
  });
});

describe('the village screen over TLS, and turned on by a reload', () => {
  it('serves https with the configured certificate and marks its cookies Secure', async () => {
    const dir = tmpDir();
    const pki = makeTestPki(dir);
    const gw = await gatewayWithWeb(`, tls: {cert_file: ${pki.cert}, key_file: ${pki.key}}`, dir);
    try {
      const url = must(gw.web.address(), 'the web address').url;
      expect(url).toMatch(/^https:/);
      const res = await new Promise<{ status: number; cookie: string }>((resolve, reject) => {
        httpsGet(`${url}api/session`, { ca: readFileSync(pki.ca) }, (r) => {
          r.resume();
          resolve({ status: r.statusCode ?? 0, cookie: String(r.headers['set-cookie']) });
        }).on('error', reject);
      });
      expect(res.status).toBe(200);
      expect(res.cookie).toMatch(/HttpOnly; SameSite=Strict; Secure/);
    } finally {
      await gw.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a reload that enables the page starts it; one that disables it stops it', async () => {
    const dir = tmpDir();
    const config = testConfig('', dir);
    const gw = await startGateway({
      config,
      log: silentLog,
      noControl: true,
      sirenOut: quiet(),
      ports: { web: 0 },
    });
    try {
      expect(gw.web.address()).toBeUndefined();
      await gw.reload({ ...config, web: { ...config.web, enabled: true, host: '127.0.0.1' } });
      const status = await fetch(`${webUrl(gw)}/api/status`);
      expect(status.status).toBe(200);
      await gw.reload({ ...config, web: { ...config.web, enabled: false } });
      expect(gw.web.address()).toBeUndefined();
    } finally {
      await gw.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
