import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SirenPolicy } from '../../src/config/schema.js';
import type { LevelChange } from '../../src/detect/types.js';
import { type GatewayEvent, type Level, ManualClock } from '../../src/domain/index.js';
import { SirenController, type SirenStorePort } from '../../src/sirens/controller.js';
import { type Db, openDb } from '../../src/store/db.js';
import { SirenStore } from '../../src/store/silences.js';
import { ManualTimers, RecordingSiren } from '../fakes/recording-siren.js';

const T0 = Date.UTC(2026, 11, 1, 21, 0, 0);
const S = 1000;
const policy: SirenPolicy = {
  sound_at: 'AWAS',
  on_s: 20,
  off_s: 0,
  max_activation_s: 3000,
  max_on_s_per_hour: 60,
  self_test_s: 2,
  max_silence_min: 240,
};
const config = {
  sirens: [
    { id: 's1', driver: 'print' as const },
    { id: 's3', driver: 'print' as const },
  ],
  zones: [
    { id: 'z1', name: 'Zone 1', sirens: ['s1'], radius_m: 1500 },
    { id: 'z2', name: 'Zone 2', sirens: ['s3'], radius_m: 1500 },
  ],
  siren_policy: policy,
};

function change(zone: string, level: Level, prev: Level): LevelChange {
  return { zone, level, prev, manual: false, score: 100, nodes: [], reason: 'test', ts: 0, allClear: false };
}

describe('siren controller across a restart (real SQLite file)', () => {
  let dir: string;
  let path: string;
  const open: Db[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'siaga-siren-restart-'));
    path = join(dir, 'siaga.db');
  });

  afterEach(() => {
    for (const db of open.splice(0)) if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One gateway "process": its own DB connection, drivers and timers, sharing the clock. */
  function boot(clock: ManualClock) {
    const db = openDb(path);
    open.push(db);
    const sirens = [new RecordingSiren('s1', clock), new RecordingSiren('s3', clock)];
    const events: GatewayEvent[] = [];
    const storeCalls: { op: string; sirensAllOff: boolean }[] = [];
    const real = new SirenStore(db);
    // Watches the order: was every siren already commanded OFF when SQLite was first touched?
    const store = new Proxy(real, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          storeCalls.push({ op: String(prop), sirensAllOff: sirens.every((s) => s.ops()[0] === 'off') });
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as SirenStorePort;
    const timers = new ManualTimers(clock);
    const ctl = new SirenController({
      config,
      drivers: new Map(sirens.map((s) => [s.id, s])),
      clock,
      events: {
        emit(kind, fields = {}) {
          const e = { id: String(events.length), ts: clock.now(), kind, fields };
          events.push(e);
          return e;
        },
      },
      store,
      log: pino({ level: 'silent' }),
      timers,
    });
    return { db, sirens, s1: sirens[0]!, s3: sirens[1]!, events, storeCalls, timers, ctl };
  }

  it('commands every siren OFF before anything else, then restores silences and the hourly budget', async () => {
    const clock = new ManualClock(T0);
    const a = boot(clock);
    await a.ctl.start();
    a.ctl.silence('z2', 30, 'tech-1', 'maintenance');
    a.ctl.onEngineOutput({ changes: [change('z1', 'AWAS', 'SIAGA')], retriggered: [] });
    expect(a.s1.ops()).toEqual(['off', 'on']);
    a.timers.advance(40 * S);
    // Crash: no stop(), the siren_log row stays open, the DB connection just goes away.
    a.db.close();

    clock.advance(10 * S); // back up at T0 + 50 s
    const b = boot(clock);
    const starting = b.ctl.start();
    // Synchronously, before start() yields: only OFF commands, no SQLite yet.
    expect(b.s1.ops()).toEqual(['off']);
    expect(b.s3.ops()).toEqual(['off']);
    expect(b.storeCalls).toEqual([]);
    await starting;
    expect(b.storeCalls.length).toBeGreaterThan(0);
    expect(b.storeCalls.every((c) => c.sirensAllOff)).toBe(true);
    // The crash-open row was closed and reported.
    expect(b.events.filter((e) => e.kind === 'siren_off').map((e) => e.fields)).toEqual([
      { siren: 's1', zone: 'z1', cause: 'safe_start' },
    ]);

    const st = b.ctl.state();
    expect(st.find((s) => s.id === 's3')?.silencedUntil).toBe(T0 + 30 * 60 * S);
    expect(st.find((s) => s.id === 's1')?.onSecondsLastHour).toBe(50);

    // Engine restore says both zones are at AWAS.
    b.ctl.evaluate({ z1: 'AWAS', z2: 'AWAS' });
    expect(b.s3.ops()).toEqual(['off']); // silenced, survived the restart
    expect(b.s1.ops()).toEqual(['off', 'on']);
    b.timers.advance(60 * S);
    // Budget survived too: only the 10 s left of 60 s/hour.
    expect(b.s1.times('off').map((t) => (t - T0) / S)).toEqual([50, 60]);
    expect(b.events.filter((e) => e.kind === 'siren_off').at(-1)?.fields.cause).toBe('budget');

    // The silence ends on its own at T0 + 30 min and the still-active alarm sounds.
    b.timers.advance(30 * 60 * S);
    expect(b.s3.times('on').map((t) => (t - T0) / S)).toEqual([1800]);
    expect(new SirenStore(b.db).silences()).toEqual([]);
    await b.ctl.stop();
    const rows = b.db.prepare('SELECT siren, off_ts FROM siren_log WHERE off_ts IS NULL').all();
    expect(rows).toEqual([]);
  });

  it('a clean stop leaves no open rows and the next start emits no safe_start events', async () => {
    const clock = new ManualClock(T0);
    const a = boot(clock);
    await a.ctl.start();
    a.ctl.onEngineOutput({ changes: [change('z1', 'AWAS', 'SIAGA')], retriggered: [] });
    a.timers.advance(5 * S);
    await a.ctl.stop();
    a.db.close();
    const b = boot(clock);
    await b.ctl.start();
    expect(b.events).toEqual([]);
    expect(b.ctl.state().find((s) => s.id === 's1')?.onSecondsLastHour).toBe(5);
  });
});
