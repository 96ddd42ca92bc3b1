import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EarthRangerConfig, EarthRangerSync } from '../../src/alerts/earthranger.js';
import { IncidentBook, type IncidentChange } from '../../src/alerts/incidents.js';
import type { IncidentPlace } from '../../src/alerts/types.js';
import { type Level, systemClock } from '../../src/domain/index.js';
import { type Db, openDb } from '../../src/store/db.js';
import { levelChange } from '../helpers/alerts-rig.js';
import { FakeEarthRanger, fetchTrusting } from '../helpers/earthranger-server.js';
import { capturingLogger, silentLog } from '../helpers/log.js';
import { must } from '../helpers/must.js';
import { makeTestPki, type TestPki } from '../helpers/tls-cert.js';
import { until } from '../helpers/wait.js';

const TOKEN = 'er-token-0123456789abcdef';
const PLACE: IncidentPlace = {
  villageName: 'Desa Braja Harjosari',
  villageCode: '18.07.11.2005',
  center: [-5.0123, 105.7654],
  radiusM: 800,
  tz: 'Asia/Jakarta',
};

let dir: string;
let pki: TestPki;
let trustingFetch: typeof fetch;
const open: { server?: FakeEarthRanger; sync?: EarthRangerSync; db?: Db }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'siaga-er-'));
  pki = makeTestPki(dir, 'er');
  trustingFetch = await fetchTrusting(readFileSync(pki.ca, 'utf8'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.sync?.stop();
    o.db?.close();
    await o.server?.close();
  }
});

async function server(tokens = [TOKEN]): Promise<FakeEarthRanger> {
  const s = new FakeEarthRanger(tokens);
  await s.start(pki);
  open.push({ server: s });
  return s;
}

function section(url: string, over: Partial<EarthRangerConfig> = {}): EarthRangerConfig {
  return { enabled: true, mode: 'er', url, token: TOKEN, event_type: 'elephant_alert', ...over };
}

let dbN = 0;
function db(file = join(dir, `er-${++dbN}.db`)): { db: Db; file: string } {
  const d = openDb(file);
  open.push({ db: d });
  return { db: d, file };
}

function adapter(
  d: Db,
  config: EarthRangerConfig,
  log = silentLog,
  timeoutMs = 5_000,
  retryMinMs = 30,
): EarthRangerSync {
  const sync = new EarthRangerSync({
    db: d,
    config,
    place: () => PLACE,
    clock: systemClock,
    log,
    fetch: trustingFetch,
    source: 'gw-tnwk-01',
    timeoutMs,
    retryMinMs,
    retryMaxMs: retryMinMs * 10,
  });
  open.push({ sync });
  return sync;
}

/** One incident's night through the real incident book: SIAGA, AWAS, acknowledged, all-clear. */
function night(): {
  opened: IncidentChange;
  awas: IncidentChange;
  acked: IncidentChange;
  closed: IncidentChange;
} {
  const book = new IncidentBook({ clock: systemClock, zoneName: () => 'Dsn Braja', nodeType: () => 'seis' });
  const lv = (level: Level, prev: Level) =>
    must(book.onLevel(levelChange('z-braja', level, prev, Date.now())), `the ${level} change`);
  const opened = lv('SIAGA', 'NORMAL');
  const awas = lv('AWAS', 'SIAGA');
  const acked = book.ack(opened.incident.code, 'Darto', 'sms');
  if (!acked.ok) throw new Error('ack refused');
  const closed = lv('NORMAL', 'AWAS');
  return { opened, awas, acked: acked.value, closed };
}

describe('EarthRanger adapter against a real HTTPS server', () => {
  it('opened → POST with priority, location and details; acked → PATCH active; all-clear → PATCH resolved', async () => {
    const s = await server();
    const { db: d } = db();
    const sync = adapter(d, section(s.url));
    sync.start();
    const { opened, awas, acked, closed } = night();
    sync.onChange(opened);
    await until('the event', () => s.events.size === 1);
    const ev = must([...s.events.values()][0], 'the stored event');
    expect(ev.fields).toMatchObject({
      event_type: 'elephant_alert',
      priority: 200,
      state: 'new',
      title: 'SIAGA: gajah liar di Dsn Braja, Desa Braja Harjosari',
      location: { latitude: -5.0123, longitude: 105.7654 },
      event_details: {
        zone: 'z-braja',
        zone_name: 'Dsn Braja',
        level: 'SIAGA',
        village_code: '18.07.11.2005',
      },
    });
    expect((ev.fields.event_details as { code: string }).code).toBe(opened.incident.code);
    expect((ev.fields.event_details as { evidence_nodes: string[] }).evidence_nodes).toEqual([
      'cam-02',
      'pir-07',
    ]);
    expect(s.seen[0]?.credential).toBe(`Bearer ${TOKEN}`);

    for (const c of [awas, acked, closed]) sync.onChange(c);
    await until('three patches', () => ev.patches.length === 3);
    // The server stores before it answers: wait for the adapter to read the last answer.
    await until('an empty queue', () => sync.status().queued === 0);
    expect(ev.patches.map((p) => [p.priority, p.state])).toEqual([
      [300, 'new'],
      [300, 'active'],
      [300, 'resolved'],
    ]);
    expect(s.accepted().map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/v1.0/activity/events/',
      `PATCH /api/v1.0/activity/event/${ev.id}/`,
      `PATCH /api/v1.0/activity/event/${ev.id}/`,
      `PATCH /api/v1.0/activity/event/${ev.id}/`,
    ]);
    expect(sync.status()).toMatchObject({ enabled: true, queued: 0, parked: 0, sent: 4, failed_attempts: 0 });
    expect(sync.status().last_ok).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('a refused token keeps the event queued, says so once, and delivers once the token is fixed', async () => {
    const s = await server(['the-new-token-123']);
    const { db: d } = db();
    const { log, lines } = capturingLogger('info');
    const sync = adapter(d, section(s.url), log);
    sync.start();
    sync.onChange(night().opened);
    await until('the refusal in status', () => sync.status().token_refused);
    expect(sync.status()).toMatchObject({ queued: 1, sent: 0, token_refused: true });
    expect(sync.status().last_error).toMatch(/HTTP 401/);
    expect(s.events.size).toBe(0);
    expect(lines.filter((l) => String(l.msg).includes('refused the token'))).toHaveLength(1);
    const leaked = lines.some((l) => JSON.stringify(l).includes(TOKEN));
    expect(leaked).toBe(false);

    sync.reconfigure(section(s.url, { token: 'the-new-token-123' }));
    await until('the event', () => s.events.size === 1);
    await until('an empty queue', () => sync.status().queued === 0);
    expect(sync.status()).toMatchObject({ token_refused: false, sent: 1 });
  });

  it('500 three times then 200: delivered once, no duplicate event on the server', async () => {
    const s = await server();
    s.trouble({ status: 500 }, { status: 502, body: '<html>Bad gateway</html>' }, { status: 503 });
    const { db: d } = db();
    const sync = adapter(d, section(s.url));
    sync.start();
    sync.onChange(night().opened);
    await until('the event', () => s.events.size === 1);
    await until('an empty queue', () => sync.status().queued === 0);
    expect(s.seen.map((r) => r.status)).toEqual([500, 502, 503, 201]);
    expect(s.accepted()).toHaveLength(1);
    expect(sync.status()).toMatchObject({ sent: 1, failed_attempts: 3, parked: 0 });
  });

  it('408 and 429 are retried like a 5xx, not parked; 403 is a refused token', async () => {
    const s = await server();
    s.trouble({ status: 408 }, { status: 429, body: '{"detail":"Request was throttled."}' }, { status: 403 });
    const { db: d } = db();
    const sync = adapter(d, section(s.url));
    sync.start();
    sync.onChange(night().opened);
    await until('the refused token', () => sync.status().token_refused);
    expect(sync.status()).toMatchObject({ parked: 0, queued: 1, failed_attempts: 3 });
    s.tokens.add('a-fresh-token-456');
    sync.reconfigure(section(s.url, { token: 'a-fresh-token-456' }));
    await until('the event', () => s.events.size === 1);
    expect(s.seen.map((r) => r.status)).toEqual([408, 429, 403, 201]);
  });

  it('a server that does not answer in time is retried, and the event arrives', async () => {
    const s = await server();
    s.trouble({ delayMs: 3_000 });
    const { db: d } = db();
    const sync = adapter(d, section(s.url), silentLog, 400);
    sync.start();
    sync.onChange(night().opened);
    await until('the event', () => s.events.size === 1, 20_000);
    await until('an empty queue', () => sync.status().queued === 0);
    expect(sync.status().failed_attempts).toBe(1);
    expect(sync.status().last_error).toMatch(/no answer from 127\.0\.0\.1:\d+ within 400 ms/);
  });

  it('a server that is down is retried until it is up', async () => {
    const s = await server();
    const url = s.url;
    await s.close();
    const { db: d } = db();
    const sync = adapter(d, section(url));
    sync.start();
    sync.onChange(night().opened);
    await until('two failed attempts', () => sync.status().failed_attempts >= 2);
    expect(sync.status().last_error).toMatch(/cannot reach 127\.0\.0\.1:\d+: ECONNREFUSED/);
    expect(sync.status().queued).toBe(1);
  });

  it('an event_type the server does not know is parked with its words, and goes once the config is fixed', async () => {
    const s = await server();
    const { db: d } = db();
    const { log, lines } = capturingLogger('info');
    const sync = adapter(d, section(s.url, { event_type: 'gajah_liar' }), log);
    sync.start();
    const { opened, awas } = night();
    sync.onChange(opened);
    await until('a parked request', () => sync.status().parked === 1);
    expect(sync.status().last_error).toBe(
      'HTTP 400: {"event_type":["Object with value=gajah_liar does not exist."]}',
    );
    expect(lines.some((l) => String(l.msg).includes('refused the event'))).toBe(true);
    // A later change is not held back by the parked one: it creates the event itself.
    sync.onChange(awas);
    await until('another parked request', () => sync.status().parked === 2);
    expect(s.events.size).toBe(0);

    sync.reconfigure(section(s.url, { event_type: 'elephant_alert' }));
    await until('both delivered', () => sync.status().queued === 0 && sync.status().parked === 0);
    expect(s.events.size).toBe(1);
    expect(s.accepted().map((r) => r.method)).toEqual(['POST', 'PATCH']);
  });

  it('survives a restart mid-queue: the next gateway delivers every change, in order', async () => {
    const s = await server();
    const { db: d1, file } = db();
    const url = s.url;
    // The server is down while the night happens.
    await s.close();
    const first = adapter(d1, section(url));
    first.start();
    for (const c of Object.values(night())) first.onChange(c);
    await until('a failed attempt', () => first.status().failed_attempts >= 1);
    await first.stop();
    d1.close();

    const back = new FakeEarthRanger([TOKEN]);
    await back.start(pki);
    open.push({ server: back });
    // A new port: the queue keeps what to say, not where, so the server may move meanwhile.
    const second = adapter(db(file).db, section(back.url));
    second.start();
    await until('all four changes', () => second.status().queued === 0 && back.accepted().length === 4);
    const ev = must([...back.events.values()][0], 'the stored event');
    expect(back.events.size).toBe(1);
    expect(ev.patches.map((p) => p.state)).toEqual(['new', 'active', 'resolved']);
  });

  it('Gundi v2: POST /v2/events/ with the apikey, then PATCH /v2/events/<object_id>/', async () => {
    const s = await server();
    const { db: d } = db();
    const sync = adapter(d, section(s.url, { mode: 'gundi' }));
    sync.start();
    const { opened, acked } = night();
    sync.onChange(opened);
    sync.onChange(acked);
    await until('the patch', () => s.accepted().length === 2);
    const ev = must([...s.events.values()][0], 'the stored event');
    expect(ev.via).toBe('gundi');
    expect(ev.fields).toMatchObject({
      source: 'gw-tnwk-01:z-braja',
      event_type: 'elephant_alert',
      location: { lat: -5.0123, lon: 105.7654 },
      state: 'active',
    });
    expect(s.seen.every((r) => r.credential === TOKEN)).toBe(true);
    expect(s.accepted().map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v2/events/',
      `PATCH /v2/events/${ev.id}/`,
    ]);
  });

  it("one incident's stuck request does not hold back another incident", async () => {
    const s = await server();
    // The first request hangs until the adapter gives up on it.
    s.trouble({ delayMs: 3_000 });
    const { db: d } = db();
    // A waits at least 2 s before its retry: B, queued meanwhile, must not wait with it.
    const sync = adapter(d, section(s.url), silentLog, 1_500, 2_000);
    sync.start();
    const book = new IncidentBook({ clock: systemClock, zoneName: (z) => z, nodeType: () => 'seis' });
    const a = must(book.onLevel(levelChange('z-a', 'AWAS', 'NORMAL', Date.now())), 'incident A');
    const b = must(book.onLevel(levelChange('z-b', 'SIAGA', 'NORMAL', Date.now())), 'incident B');
    sync.onChange(a);
    await until("A's request at the server", () => s.received === 1);
    sync.onChange(b);
    await until("B's event", () => s.events.size === 1);
    const first = must([...s.events.values()][0], 'the first event');
    expect((first.fields.event_details as { zone: string }).zone).toBe('z-b');
    await until("A's event after its retry", () => s.events.size === 2, 20_000);
  });

  it('a 2xx without an event id is parked with a clear sentence, never PATCHed blind', async () => {
    const s = await server();
    s.trouble({ status: 201, body: '{"status":{"code":201}}' });
    const { db: d } = db();
    const sync = adapter(d, section(s.url));
    sync.start();
    sync.onChange(night().opened);
    await until('a parked request', () => sync.status().parked === 1);
    expect(sync.status().last_error).toBe('the server took the event but answered without its id');
    expect(s.seen.filter((r) => r.method === 'PATCH')).toHaveLength(0);
  });

  it('a disk that refuses the queue keeps the change in memory, counted and said', async () => {
    const s = await server();
    const { db: d } = db();
    const { log, lines } = capturingLogger('info');
    const sync = adapter(d, section(s.url), log);
    d.close();
    sync.onChange(night().opened);
    expect(sync.status().queued).toBe(1);
    expect(sync.status().last_error).toMatch(/cannot queue a remote request/);
    expect(lines.some((l) => String(l.msg).includes('kept in memory'))).toBe(true);
  });

  it('when disabled, queues nothing and sends nothing', async () => {
    const s = await server();
    const { db: d } = db();
    const sync = adapter(d, section(s.url, { enabled: false }));
    sync.start();
    sync.onChange(night().opened);
    expect(sync.status()).toMatchObject({ enabled: false, queued: 0 });
    expect(s.seen).toHaveLength(0);
  });
});
