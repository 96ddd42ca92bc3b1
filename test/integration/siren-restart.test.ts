import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/index.js';
import type { SirenStorePort } from '../../src/sirens/controller.js';
import { type Db, openDb } from '../../src/store/db.js';
import { SirenStore } from '../../src/store/silences.js';
import { RecordingSiren } from '../fakes/recording-siren.js';
import { levelChange, sirenConfig, sirenRig, TEST_SIREN_POLICY } from '../helpers/siren-rig.js';

const T0 = Date.UTC(2026, 11, 1, 21, 0, 0);
const S = 1000;
// No pause between blasts and a small hourly budget, so a restart mid-budget is easy to see.
const config = sirenConfig(
  { z1: ['s1'], z2: ['s3'] },
  { ...TEST_SIREN_POLICY, off_s: 0, max_activation_s: 3000, max_on_s_per_hour: 60 },
);
const change = levelChange;

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
    const s1 = new RecordingSiren('s1', clock);
    const s3 = new RecordingSiren('s3', clock);
    const sirens = [s1, s3];
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
    const { ctl, events, timers } = sirenRig({ config, sirens, clock, store });
    return { db, sirens, s1, s3, events, storeCalls, timers, ctl };
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
    expect(b.events.fieldsOf('siren_off')).toEqual([{ siren: 's1', zone: 'z1', cause: 'safe_start' }]);

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
    expect(b.events.of('siren_off').at(-1)?.fields.cause).toBe('budget');

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
    expect(b.events.events).toEqual([]);
    expect(b.ctl.state().find((s) => s.id === 's1')?.onSecondsLastHour).toBe(5);
  });
});
