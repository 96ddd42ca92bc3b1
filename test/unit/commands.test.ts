import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GatewayEvent, ManualClock } from '../../src/domain/index.js';
import { type Db, openDb } from '../../src/store/db.js';
import { NonceStore } from '../../src/store/nonces.js';
import { Outbox } from '../../src/store/outbox.js';
import { CommandHandler, type CommandServices, SIRENS_UNAVAILABLE } from '../../src/uplink/commands.js';
import { canonicalCommand, signCommand } from '../../src/uplink/hmac.js';
import { RecordingEvents } from '../fakes/recording-events.js';
import { silentLog } from '../helpers/log.js';
import { insertReadings, mixReadings } from '../helpers/outbox-fixtures.js';

const SECRET = 'ops-1-secret-0123456789abcdef';
const OTHER_SECRET = 'ops-2-secret-fedcba9876543210';
const NOW = 1_763_892_000_123;

let nonceNo = 0;
function signed(over: Record<string, unknown> = {}, secret = SECRET) {
  const base = {
    id: `c-${++nonceNo}`,
    ts: NOW,
    nonce: `nonce-${nonceNo}-${Math.random().toString(36).slice(2)}`,
    key_id: 'ops-1',
    cmd: 'status',
    args: {} as unknown,
    ...over,
  };
  const sig = signCommand(secret, base as Parameters<typeof signCommand>[1]);
  return { ...base, sig };
}

describe('signed commands', () => {
  let dir: string;
  let db: Db;
  let clock: ManualClock;
  let sink: RecordingEvents;
  let events: GatewayEvent[];
  let calls: string[];
  let services: CommandServices;

  const handler = (svc: CommandServices = services, database: Db = db) =>
    new CommandHandler({
      commands: {
        keys: [
          { id: 'ops-1', secret: SECRET },
          { id: 'ops-2', secret: OTHER_SECRET },
        ],
        max_skew_s: 60,
      },
      nonces: new NonceStore(database),
      clock,
      events: sink,
      services: svc,
      log: silentLog,
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'siaga-cmd-'));
    db = openDb(join(dir, 'siaga.db'));
    clock = new ManualClock(NOW);
    sink = new RecordingEvents({ clock, id: (n) => `e${n}` });
    events = sink.events;
    calls = [];
    const outbox = new Outbox(db);
    services = {
      status: () => ({ levels: { 'z-braja': 'NORMAL' } }),
      nodes: () => [{ node: 'pir-07', online: true }],
      resend: (from, to) => {
        calls.push(`resend ${from} ${to}`);
        return outbox.requeue(from, to);
      },
      configGet: () => ({ uplink: { password: '<redacted>' } }),
    };
  });

  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function refused(payload: unknown, reason: string, h = handler()) {
    const res = await h.handle(typeof payload === 'string' ? payload : JSON.stringify(payload));
    expect(res?.ok).toBe(false);
    const ev = events.at(-1);
    expect(ev?.kind).toBe('cmd');
    expect(ev?.fields).toMatchObject({ ok: false, reason });
    return res;
  }

  it('accepts a correctly signed status command and answers {id, ok, result}', async () => {
    const c = signed();
    const res = await handler().handle(JSON.stringify(c));
    expect(res).toEqual({ id: c.id, ok: true, result: { levels: { 'z-braja': 'NORMAL' } } });
    expect(events).toHaveLength(1);
    expect(events[0]?.fields).toEqual({ cmd_id: c.id, cmd: 'status', key_id: 'ops-1', ok: true });
  });

  it('signs id\\nts\\nnonce\\ncmd\\n + JSON.stringify(args)', () => {
    expect(
      canonicalCommand({
        id: 'c-1',
        ts: 5,
        nonce: 'n',
        cmd: 'siren.silence',
        args: { zone: 'z', minutes: 30 },
      }),
    ).toBe('c-1\n5\nn\nsiren.silence\n{"zone":"z","minutes":30}');
  });

  it('accepts nodes, config.get and readings.resend (re-queues with the same ids, skipping queued ones)', async () => {
    const h = handler();
    expect(await h.handle(JSON.stringify(signed({ cmd: 'nodes' })))).toMatchObject({
      ok: true,
      result: [{ node: 'pir-07' }],
    });
    expect(await h.handle(JSON.stringify(signed({ cmd: 'config.get' })))).toMatchObject({
      ok: true,
      result: { uplink: { password: '<redacted>' } },
    });
    insertReadings(db, mixReadings(10, NOW - 10_000), false); // stored, already forwarded
    insertReadings(db, mixReadings(5, NOW - 100_000)); // still queued
    const res = await h.handle(
      JSON.stringify(signed({ cmd: 'readings.resend', args: { from: NOW - 10_000, to: NOW } })),
    );
    expect(res).toEqual(expect.objectContaining({ ok: true, result: { queued: 10 } }));
    expect(new Outbox(db).backlog().readings).toBe(15);
    // again: nothing new to queue
    const again = await h.handle(
      JSON.stringify(signed({ cmd: 'readings.resend', args: { from: 0, to: NOW } })),
    );
    expect(again).toMatchObject({ ok: true, result: { queued: 0 } });
    // ISO times work too
    const iso = await h.handle(
      JSON.stringify(
        signed({
          cmd: 'readings.resend',
          args: { from: '2025-01-01T00:00:00Z', to: '2025-01-02T00:00:00+07:00' },
        }),
      ),
    );
    expect(iso?.ok).toBe(true);
  });

  it('refuses a bad signature (signed with another secret, or args changed after signing)', async () => {
    await refused(signed({}, OTHER_SECRET), 'bad_sig');
    const c = signed({ cmd: 'readings.resend', args: { from: 0, to: 1 } });
    await refused({ ...c, args: { from: 0, to: NOW } }, 'bad_sig');
    expect(calls).toEqual([]);
  });

  it('refuses a sig of the wrong length or not hex without throwing', async () => {
    const c = signed();
    await refused({ ...c, sig: c.sig.slice(0, 62) }, 'bad_sig');
    await refused({ ...c, sig: `${c.sig}00` }, 'bad_sig');
    await refused({ ...c, sig: 'zz'.repeat(32) }, 'bad_sig');
    await refused({ ...c, sig: '' }, 'bad_sig');
  });

  it('refuses a stale timestamp in both directions, accepts at the edge', async () => {
    await refused(signed({ ts: NOW - 61_000 }), 'stale');
    await refused(signed({ ts: NOW + 61_000 }), 'stale');
    expect((await handler().handle(JSON.stringify(signed({ ts: NOW - 60_000 }))))?.ok).toBe(true);
    expect((await handler().handle(JSON.stringify(signed({ ts: NOW + 60_000 }))))?.ok).toBe(true);
  });

  it('refuses a replayed nonce, also after the database is reopened (restart)', async () => {
    const c = signed();
    expect((await handler().handle(JSON.stringify(c)))?.ok).toBe(true);
    await refused(c, 'replay');
    // same nonce, new id and fresh signature: still a replay
    await refused(signed({ nonce: c.nonce }), 'replay');
    db.close();
    db = openDb(join(dir, 'siaga.db'));
    clock.advance(30_000);
    await refused(signed({ nonce: c.nonce, ts: clock.now() }), 'replay', handler(services, db));
  });

  it('forgets nonces after 2 × max_skew (their timestamps are stale by then anyway)', () => {
    const store = new NonceStore(db);
    expect(store.remember('abcdefgh', 'ops-1', NOW + 120_000)).toBe(true);
    expect(store.seen('abcdefgh')).toBe(true);
    expect(store.remember('abcdefgh', 'ops-1', NOW + 120_000)).toBe(false);
    expect(store.prune(NOW + 120_001)).toBe(1);
    expect(store.seen('abcdefgh')).toBe(false);
  });

  it('refuses an unknown key id', async () => {
    await refused(signed({ key_id: 'ops-9' }), 'unknown_key');
  });

  it('refuses an unknown command (and burns its nonce)', async () => {
    const c = signed({ cmd: 'shell.exec', args: { line: 'rm -rf /' } });
    const res = await refused(c, 'unknown_cmd');
    expect(res).toMatchObject({ id: c.id, ok: false, error: 'unknown command "shell.exec"' });
  });

  it('refuses invalid args per command', async () => {
    await refused(signed({ cmd: 'readings.resend', args: { from: 10, to: 5 } }), 'invalid_args');
    await refused(signed({ cmd: 'readings.resend', args: { from: 'yesterday', to: 5 } }), 'invalid_args');
    await refused(signed({ cmd: 'siren.silence', args: { zone: 'z-braja', minutes: 999 } }), 'invalid_args');
    await refused(signed({ cmd: 'siren.silence', args: { zone: 'Z BRAJA', minutes: 30 } }), 'invalid_args');
    await refused(signed({ cmd: 'status', args: { extra: 1 } }), 'invalid_args');
    expect(calls).toEqual([]);
  });

  it('refuses malformed and oversized payloads', async () => {
    await refused('not json', 'malformed');
    await refused({ id: 'c-x', cmd: 'status' }, 'malformed');
    const res = await refused({ ...signed(), pad: 'x'.repeat(20_000) }, 'too_large');
    expect(res?.ok).toBe(false);
  });

  it('siren commands: refused while no sirens are wired, dispatched when they are', async () => {
    const res = await refused(
      signed({ cmd: 'siren.silence', args: { zone: 'z-braja', minutes: 30 } }),
      'unavailable',
    );
    expect(res).toMatchObject({ ok: false, error: SIRENS_UNAVAILABLE });
    const sirenCalls: unknown[][] = [];
    const h = handler({
      ...services,
      siren: {
        test: (id) => sirenCalls.push(['test', id]),
        off: (id) => sirenCalls.push(['off', id]),
        silence: (zone, minutes, by) => {
          sirenCalls.push(['silence', zone, minutes, by]);
          return { until: NOW + minutes * 60_000 };
        },
        unsilence: (zone, by) => sirenCalls.push(['unsilence', zone, by]),
      },
    });
    expect(
      await h.handle(
        JSON.stringify(signed({ cmd: 'siren.silence', args: { zone: 'z-braja', minutes: 30 } })),
      ),
    ).toMatchObject({
      ok: true,
      result: { until: NOW + 1_800_000 },
    });
    await h.handle(JSON.stringify(signed({ cmd: 'siren.test', args: { siren: 's-braja-1' } })));
    await h.handle(JSON.stringify(signed({ cmd: 'siren.off', args: { siren: 's-braja-1' } })));
    await h.handle(
      JSON.stringify(
        signed({ cmd: 'siren.unsilence', args: { zone: 'z-braja' }, key_id: 'ops-2' }, OTHER_SECRET),
      ),
    );
    expect(sirenCalls).toEqual([
      ['silence', 'z-braja', 30, 'ops-1'],
      ['test', 's-braja-1'],
      ['off', 's-braja-1'],
      ['unsilence', 'z-braja', 'ops-2'],
    ]);
  });

  it('a service that throws answers ok:false with a reason, not a crash', async () => {
    const h = handler({
      ...services,
      status: () => {
        throw new Error('database is locked');
      },
    });
    await refused(signed(), 'failed', h);
  });

  it('never puts a secret or a signature into cmd/res or the events', async () => {
    const outputs: string[] = [];
    const h = handler();
    const cases = [
      signed(),
      signed({}, OTHER_SECRET),
      signed({ key_id: 'ops-9' }),
      signed({ ts: 0 }),
      signed({ cmd: 'nope' }),
      signed({ cmd: 'config.get' }),
    ];
    for (const c of cases) {
      outputs.push(JSON.stringify(await h.handle(JSON.stringify(c))));
      outputs.push(JSON.stringify(c.sig));
    }
    const sigs = cases.map((c) => c.sig);
    const text =
      outputs.filter((o) => !sigs.some((s) => o === JSON.stringify(s))).join('\n') + JSON.stringify(events);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(OTHER_SECRET);
    for (const s of sigs) expect(text).not.toContain(s);
    expect(events).toHaveLength(cases.length);
    for (const e of events)
      expect(Object.keys(e.fields).sort()).toEqual(expect.arrayContaining(['cmd', 'cmd_id', 'key_id', 'ok']));
  });

  it('20 junk messages, then a correctly signed command: the command runs and is answered', async () => {
    const h = handler();
    for (let i = 0; i < 20; i++) await h.handle(i % 2 ? 'junk' : JSON.stringify(signed({}, OTHER_SECRET)));
    const c = signed();
    expect(await h.handle(JSON.stringify(c))).toEqual({
      id: c.id,
      ok: true,
      result: { levels: { 'z-braja': 'NORMAL' } },
    });
  });

  it('a junk flood: 5 refusals answered and recorded, the rest summed up in one cmd_rejected event', async () => {
    const h = handler();
    const answers = [];
    for (let i = 0; i < 200; i++) answers.push(await h.handle(i % 2 ? 'junk' : '{"id":"x"}'));
    expect(answers.filter((a) => a !== undefined)).toHaveLength(5);
    expect(events.filter((e) => e.kind === 'cmd')).toHaveLength(5);
    h.reportRefusals();
    const summaries = events.filter((e) => e.kind === 'cmd_rejected');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]?.fields).toEqual({ since_last: 195, by_reason: { malformed: 195 } });
    h.reportRefusals(); // nothing new: no empty summary
    expect(events.filter((e) => e.kind === 'cmd_rejected')).toHaveLength(1);
    // a minute later refusals are answered again
    clock.advance(60_000);
    expect(await h.handle('junk')).toMatchObject({ ok: false });
  });

  it('signed commands have their own budget: 20 per 10 s, then rate_limited (answered), junk does not count', async () => {
    const h = handler();
    for (let i = 0; i < 50; i++) await h.handle('junk');
    for (let i = 0; i < 20; i++) expect(await h.handle(JSON.stringify(signed()))).toMatchObject({ ok: true });
    expect(await h.handle(JSON.stringify(signed()))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/too many/),
    });
    clock.advance(10_000);
    expect(await h.handle(JSON.stringify(signed({ ts: NOW + 10_000 })))).toMatchObject({ ok: true });
  });
});
