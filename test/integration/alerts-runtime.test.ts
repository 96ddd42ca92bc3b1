import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Alerts } from '../../src/alerts/runtime.js';
import type { Config } from '../../src/config/schema.js';
import type { LevelChange } from '../../src/detect/types.js';
import { type Level, ManualClock } from '../../src/domain/index.js';
import { placeOf } from '../../src/gateway/alerts.js';
import { AlertStore } from '../../src/store/alerts.js';
import { type Db, openDb } from '../../src/store/db.js';
import { RecordingEvents } from '../fakes/recording-events.js';
import { ScriptedSms } from '../fakes/scripted-sms.js';
import { testConfig, tmpDir } from '../helpers/gateway.js';

/**
 * The alerts runtime over a real SQLite file, with the modem's side scripted: what people receive
 * when levels change faster than messages go out, when a phone is dead, when the spool is gone, and
 * after a restart.
 */

const RANGER = '+6281234567890';
const KADES = '+6281298765432';
const BPBD = '+6281234500003';

function config(dir: string): Config {
  return testConfig(
    `
alerts:
  enabled: true
  group_wait_s: 30
  sms: {driver: print}
  contacts:
    - {id: ranger-1, name: Darto, phone: "${RANGER}", roles: [ranger]}
    - {id: kades, name: Kepala Desa, phone: "${KADES}", roles: [village]}
    - {id: bpbd, name: BPBD, phone: "${BPBD}", roles: [bpbd]}
  policies:
    - zone: "*"
      repeat_min: 5
      steps:
        - {after_min: 0, notify: ["role:ranger"], min_level: SIAGA}
        - {after_min: 5, notify: [kades], min_level: SIAGA}
        - {after_min: 10, notify: ["role:bpbd"], min_level: AWAS}
  cap: {dir: ${join(dir, 'cap')}}
`,
    dir,
  );
}

interface Rig {
  alerts: Alerts;
  sms: ScriptedSms;
  clock: ManualClock;
  events: RecordingEvents;
  db: Db;
  /** How often the runtime asked the writer for a commit. */
  flushes(): number;
  commit(): void;
  level(level: Level, prev: Level): void;
  settle(): Promise<void>;
}

function rig(
  dir = tmpDir(),
  clock = new ManualClock(Date.parse('2026-12-01T12:38:00Z')),
  sms = new ScriptedSms(),
): Rig {
  const cfg = config(dir);
  const db = openDb(join(dir, 'alerts.db'));
  let flushes = 0;
  const store = new AlertStore(db, () => {
    flushes++;
  });
  const events = new RecordingEvents({ clock });
  const alerts = new Alerts({
    clock,
    log: pino({ level: 'silent' }),
    events,
    store,
    config: () => cfg,
    sms: () => sms,
    place: (zone) => placeOf(cfg, zone),
    nodeZone: (node) => cfg.nodes.find((n) => n.id === node)?.zone,
    nodeType: (node) => cfg.nodes.find((n) => n.id === node)?.type,
  });
  const commit = () => {
    db.transaction(() => store.writeDirty())();
    store.committed();
  };
  const change = (level: Level, prev: Level): LevelChange => ({
    zone: 'z-braja',
    level,
    prev,
    score: 0,
    nodes: ['cam-02'],
    reason: 'test',
    ts: clock.now(),
    allClear: level === 'NORMAL',
    manual: false,
  });
  return {
    alerts,
    sms,
    clock,
    events,
    db,
    flushes: () => flushes,
    commit,
    level: (level, prev) => alerts.onLevelChanges([change(level, prev)]),
    // Hand-overs and polls are async: let them run.
    settle: async () => {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      await alerts.poll();
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    },
  };
}

const MIN = 60_000;

describe('the alerts runtime (real SQLite, scripted modem)', () => {
  it('a higher level overtakes a lower one not yet handed to the modem: the ranger reads AWAS, never a stale SIAGA', async () => {
    const r = rig();
    r.sms.refuse = 'outbox missing';
    r.level('SIAGA', 'NORMAL');
    await r.settle();
    expect(r.sms.sent).toEqual([]);
    r.level('AWAS', 'SIAGA');
    await r.settle();
    r.sms.refuse = undefined;
    r.clock.advance(31_000); // past the hand-over retry and group_wait
    r.alerts.tick();
    await r.settle();
    expect(r.sms.to(RANGER)).toEqual([
      expect.stringMatching(/^AWAS GAJAH Braja \(z-braja\) \d\d:\d\d\. .*Balas OK \d{4}$/),
    ]);
    expect(r.sms.sent[0]?.priority).toBe('urgent');
    // The SIAGA row is kept (audit), marked superseded, and not shown as a message to anyone.
    const states = r.db.prepare('SELECT level, state FROM alert_messages ORDER BY decided, id').all();
    r.commit();
    expect(r.db.prepare('SELECT level, state FROM alert_messages ORDER BY decided, id').all()).toEqual([
      { level: 'SIAGA', state: 'superseded' },
      { level: 'AWAS', state: 'queued' },
    ]);
    expect(states).toEqual([]); // nothing reaches the disk before the commit
  });

  it('a dead phone: the message is tried again, the next step is told at once, and the failure is an event', async () => {
    const r = rig();
    r.level('AWAS', 'NORMAL');
    await r.settle();
    const first = r.sms.sent.find((m) => m.to === RANGER);
    expect(first).toBeDefined();
    r.sms.fail(first?.id as string, 'no network for +62812…');
    await r.settle();
    // Village head hurried from +5 min to now.
    expect(r.sms.to(KADES)).toHaveLength(1);
    expect(r.events.events.find((e) => e.kind === 'sms_failed')?.fields).toMatchObject({
      contact: 'ranger-1',
      attempt: 1,
      final: false,
    });
    // Handed over again after a minute; after 3 failed attempts it counts as failed for good.
    r.clock.advance(MIN + 1);
    r.alerts.tick();
    await r.settle();
    expect(r.sms.to(RANGER)).toHaveLength(2);
    for (const attempt of [2, 3]) {
      const m = r.sms.sent.filter((x) => x.to === RANGER).at(-1);
      r.sms.fail(m?.id as string);
      await r.settle();
      r.clock.advance(attempt * MIN + 1);
      r.alerts.tick();
      await r.settle();
    }
    const ranger = r.alerts
      .list()[0]
      ?.notifications.filter((n) => n.contact === 'ranger-1' && n.channel === 'sms');
    expect(ranger?.[0]?.state).toBe('failed');
    expect(r.events.events.filter((e) => e.kind === 'sms_failed').at(-1)?.fields).toMatchObject({
      final: true,
    });
  });

  it('replies: a stranger is refused, a malformed reply too, the contact acknowledges; the chain stops', async () => {
    const r = rig();
    r.level('AWAS', 'NORMAL');
    await r.settle();
    const code = r.alerts.list()[0]?.code as string;
    r.sms.reply('+6289999999999', `OK ${code}`);
    r.sms.reply(RANGER, 'siap pak');
    await r.settle();
    expect(r.events.events.filter((e) => e.kind === 'sms_refused').map((e) => e.fields.reason)).toEqual([
      'unknown_number',
      expect.any(String),
    ]);
    r.sms.reply(`0${RANGER.slice(3)}`, `ok ${code}`); // the network may give the local form
    await r.settle();
    expect(r.alerts.list()[0]?.state).toBe('acked');
    r.clock.advance(20 * MIN);
    r.alerts.tick();
    await r.settle();
    expect(r.sms.to(KADES)).toEqual([]);
    expect(r.sms.to(BPBD)).toEqual([]);
    // Still AWAS 30 min after the acknowledgement: those told hear it again.
    r.clock.advance(11 * MIN);
    r.alerts.tick();
    await r.settle();
    expect(r.sms.to(RANGER)).toHaveLength(2);
  });

  it('a CAP document goes to the centre at once; its file follows, and a folder that cannot be written is named in status', async () => {
    const good = rig();
    good.level('AWAS', 'NORMAL');
    const [sent] = good.events.of('cap');
    // The event carries the document in the same commit as its row; the file is being written.
    expect(sent?.fields.xml).toContain('<msgType>Alert</msgType>');
    const file = String(sent?.fields.file);
    await good.alerts.close();
    expect(readFileSync(file, 'utf8')).toBe(sent?.fields.xml);
    expect(good.alerts.status().cap).toMatchObject({
      sent: 1,
      last_file: file,
      file_errors: 0,
      last_error: null,
    });

    const dir = tmpDir();
    writeFileSync(join(dir, 'cap'), 'a file where the folder should be');
    const bad = rig(dir);
    bad.level('AWAS', 'NORMAL');
    expect(bad.events.of('cap')[0]?.fields.xml).toContain('<msgType>Alert</msgType>');
    await bad.alerts.close();
    expect(existsSync(String(bad.events.of('cap')[0]?.fields.file))).toBe(false);
    expect(bad.alerts.status().cap).toMatchObject({
      sent: 1,
      last_file: null,
      file_errors: 1,
      last_error: expect.stringMatching(/cannot write CAP document .* to .*cap \((EEXIST|ENOTDIR)\)/),
    });
  });

  it('a quiet night costs no commit: ticks that change nothing write nothing', async () => {
    const r = rig();
    r.alerts.tick();
    const quiet = r.flushes();
    for (let i = 0; i < 30; i++) {
      r.clock.advance(1000);
      r.alerts.tick();
    }
    await r.settle();
    expect(r.flushes()).toBe(quiet);
    // An incident does write (it is state to keep), and so does each escalation step.
    r.level('AWAS', 'NORMAL');
    expect(r.flushes()).toBeGreaterThan(quiet);
  });

  it('a restart keeps the incident, its code, its messages and what is still due', async () => {
    const dir = tmpDir();
    const clock = new ManualClock(Date.parse('2026-12-01T12:38:00Z'));
    const a = rig(dir, clock);
    a.level('AWAS', 'NORMAL');
    await a.settle();
    a.commit();
    const before = a.alerts.list()[0];
    await a.alerts.close();
    a.db.close();
    const b = rig(dir, clock);
    expect(b.alerts.list()[0]).toMatchObject({
      id: before?.id,
      code: before?.code,
      level: 'AWAS',
      state: 'open',
    });
    clock.advance(5 * MIN);
    b.alerts.tick();
    await b.settle();
    expect(b.sms.to(RANGER)).toEqual([]); // told before the restart
    expect(b.sms.to(KADES)).toHaveLength(1); // step 2 on time
    const code = before?.code as string;
    b.level('NORMAL', 'AWAS');
    await b.settle();
    expect(b.sms.to(KADES).at(-1)).toMatch(new RegExp(`^AMAN Braja .* Kode ${code} selesai\\.$`));
    expect(b.events.events.filter((e) => e.kind === 'cap').map((e) => e.fields.msg_type)).toContain('Cancel');
  });
});
