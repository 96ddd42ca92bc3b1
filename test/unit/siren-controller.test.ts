import { afterEach, describe, expect, it } from 'vitest';
import type { SirenPolicy } from '../../src/config/schema.js';
import type { LevelChange } from '../../src/detect/types.js';
import { type EventKind, type Level, ManualClock } from '../../src/domain/index.js';
import { type Db, openDb } from '../../src/store/db.js';
import { SirenStore } from '../../src/store/silences.js';
import { RecordingSiren } from '../fakes/recording-siren.js';
import { levelChange, sirenConfig, sirenRig, TEST_SIREN_POLICY } from '../helpers/siren-rig.js';

const T0 = Date.UTC(2026, 11, 1, 20, 0, 0);
const S = 1000;

const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

async function harness(policy: Partial<SirenPolicy> = {}, opts: { start?: boolean } = {}) {
  const clock = new ManualClock(T0);
  const db = openDb(':memory:');
  dbs.push(db);
  const store = new SirenStore(db);
  const s1 = new RecordingSiren('s1', clock);
  const s2 = new RecordingSiren('s2', clock);
  const s3 = new RecordingSiren('s3', clock);
  const config = sirenConfig({ z1: ['s1', 's2'], z2: ['s3'] }, { ...TEST_SIREN_POLICY, ...policy });
  const { ctl, events, timers } = sirenRig({
    config,
    sirens: [s1, s2, s3],
    clock,
    store,
    callTimeoutMs: 2000,
  });
  if (opts.start !== false) await ctl.start();
  for (const s of [s1, s2, s3]) s.clear();
  const kinds = (k: EventKind) => events.of(k);
  /** Seconds since T0 at which `s` was switched `op`. */
  const at = (s: RecordingSiren, op: 'on' | 'off') => s.times(op).map((t) => (t - T0) / S);
  return { clock, timers, events, kinds, db, store, s1, s2, s3, ctl, config, at };
}

const change = levelChange;

const out = (changes: LevelChange[], retriggered: string[] = []) => ({ changes, retriggered, notices: [] });

describe('SirenController', () => {
  it('sounds at AWAS, not at SIAGA by default', async () => {
    const h = await harness();
    h.ctl.onEngineOutput(out([change('z1', 'SIAGA', 'WASPADA')]));
    expect(h.s1.ops()).toEqual([]);
    h.ctl.onEngineOutput(out([change('z1', 'AWAS', 'SIAGA')]));
    // Synchronous: the drivers were called before onEngineOutput returned.
    expect(h.s1.ops()).toEqual(['on']);
    expect(h.s2.ops()).toEqual(['on']);
    expect(h.s3.ops()).toEqual([]);
    expect(h.kinds('siren_on').map((e) => e.fields)).toEqual([
      { siren: 's1', zone: 'z1', cause: 'level' },
      { siren: 's2', zone: 'z1', cause: 'level' },
    ]);
  });

  it('sounds at SIAGA when sound_at is SIAGA', async () => {
    const h = await harness({ sound_at: 'SIAGA' });
    h.ctl.onEngineOutput(out([change('z1', 'WASPADA', 'NORMAL')]));
    expect(h.s1.ops()).toEqual([]);
    h.ctl.onEngineOutput(out([change('z1', 'SIAGA', 'WASPADA')]));
    expect(h.s1.ops()).toEqual(['on']);
  });

  it('plays the on/off pattern and stops after max_activation_s', async () => {
    const h = await harness({ on_s: 20, off_s: 10, max_activation_s: 100 });
    h.ctl.onEngineOutput(out([change('z1', 'AWAS', 'SIAGA')]));
    h.timers.advance(300 * S);
    expect(h.at(h.s1, 'on')).toEqual([0, 30, 60, 90]);
    expect(h.at(h.s1, 'off')).toEqual([20, 50, 80, 100]);
    const offs = h.kinds('siren_off').filter((e) => e.fields.siren === 's1');
    expect(offs.map((e) => e.fields.cause)).toEqual(['pattern', 'pattern', 'pattern', 'max_activation']);
    expect(h.kinds('siren_on').map((e) => e.fields.cause)).toEqual([
      'level',
      'level',
      'pattern',
      'pattern',
      'pattern',
      'pattern',
      'pattern',
      'pattern',
    ]);
  });

  it('a retrigger restarts the max_activation timer', async () => {
    const h = await harness({ on_s: 20, off_s: 10, max_activation_s: 45 });
    h.ctl.onEngineOutput(out([change('z1', 'AWAS', 'SIAGA')]));
    h.timers.advance(40 * S);
    h.ctl.onEngineOutput(out([], ['z1'])); // new evidence at t=40 → until 85
    h.timers.advance(200 * S);
    expect(h.at(h.s1, 'on')).toEqual([0, 30, 60]);
    expect(h.at(h.s1, 'off')).toEqual([20, 50, 80]);
    // Without the retrigger it would have ended at 45.
    const h2 = await harness({ on_s: 20, off_s: 10, max_activation_s: 45 });
    h2.ctl.onEngineOutput(out([change('z1', 'AWAS', 'SIAGA')]));
    h2.timers.advance(200 * S);
    expect(h2.at(h2.s1, 'off')).toEqual([20, 45]);
  });

  it('retriggers at a zone below sound_at do nothing', async () => {
    const h = await harness();
    h.ctl.onEngineOutput(out([change('z1', 'SIAGA', 'WASPADA')], ['z1']));
    h.timers.advance(60 * S);
    expect(h.s1.ops()).toEqual([]);
  });

  it('the zone dropping below sound_at stops its sirens', async () => {
    const h = await harness();
    h.ctl.onEngineOutput(out([change('z1', 'AWAS', 'SIAGA')]));
    h.timers.advance(5 * S);
    h.ctl.onEngineOutput(out([change('z1', 'SIAGA', 'AWAS')]));
    expect(h.s1.ops()).toEqual(['on', 'off']);
    expect(h.kinds('siren_off')[0]?.fields).toEqual({ siren: 's1', zone: 'z1', cause: 'level' });
    h.timers.advance(600 * S);
    expect(h.s1.ops()).toEqual(['on', 'off']);
  });

  it('never exceeds max_on_s_per_hour per siren', async () => {
    const h = await harness({ on_s: 20, off_s: 10, max_activation_s: 3000, max_on_s_per_hour: 50 });
    h.ctl.onEngineOutput(out([change('z1', 'AWAS', 'SIAGA')]));
    h.timers.advance(3000 * S);
    expect(h.at(h.s1, 'on')).toEqual([0, 30, 60]);
    expect(h.at(h.s1, 'off')).toEqual([20, 50, 70]);
    expect(h.kinds('siren_off').at(-1)?.fields.cause).toBe('budget');
    expect(h.ctl.state().find((s) => s.id === 's1')?.onSecondsLastHour).toBe(50);
    // After the hour the budget is back: new evidence sounds again.
    h.timers.advance(700 * S);
    h.ctl.onEngineOutput(out([change('z1', 'SIAGA', 'AWAS')]));
    h.ctl.onEngineOutput(out([change('z1', 'AWAS', 'SIAGA')]));
    expect(h.s1.ops().at(-1)).toBe('on');
  });

  it('a manual press overrides silence and may use up to 2 × the hourly budget, never more', async () => {
    const h = await harness({ on_s: 20, off_s: 0, max_activation_s: 3000, max_on_s_per_hour: 60 });
    h.ctl.silence('z1', 60, 'tech-1');
    h.ctl.onEngineOutput(out([change('z1', 'AWAS', 'SIAGA')]));
    expect(h.s1.ops()).toEqual([]);
    h.ctl.onEngineOutput(out([change('z1', 'AWAS', 'AWAS', true)]));
    expect(h.s1.ops()).toEqual(['on']);
    expect(h.kinds('siren_on')[0]?.fields.cause).toBe('manual');
    h.timers.advance(3000 * S);
    expect(h.at(h.s1, 'off')).toEqual([120]);
    expect(h.kinds('siren_off')[0]?.fields.cause).toBe('budget');
  });

  it('a button pressed while the zone is already AWAS (engine: retriggered + pressed) sounds through silence', async () => {
    const h = await harness();
    h.ctl.onEngineOutput(out([change('z1', 'AWAS', 'SIAGA')]));
    h.ctl.silence('z1', 60, 'tech-1');
    h.s1.clear();
    h.ctl.onEngineOutput({ changes: [], retriggered: ['z1'] });
    expect(h.s1.ops()).toEqual([]); // new sensor evidence does not break a silence
    h.timers.advance(5 * S);
    h.ctl.onEngineOutput({ changes: [], retriggered: ['z1'], pressed: ['z1'] });
    expect(h.s1.ops()).toEqual(['on']);
    expect(h.kinds('siren_on').at(-1)?.fields.cause).toBe('manual');
  });

  it('silence turns a sounding zone off, persists, and expires on its own', async () => {
    const h = await harness({ on_s: 20, off_s: 10, max_activation_s: 900 });
    h.ctl.onEngineOutput(out([change('z1', 'AWAS', 'SIAGA')]));
    h.timers.advance(5 * S);
    const s = h.ctl.silence('z1', 5, 'tech-1', 'herd moving away');
    expect(s.until).toBe(T0 + 5 * S + 5 * 60 * S);
    expect(h.s1.ops()).toEqual(['on', 'off']);
    expect(h.kinds('siren_off')[0]?.fields.cause).toBe('silence');
    expect(h.kinds('siren_silenced')[0]?.fields).toMatchObject({ zone: 'z1', by: 'tech-1', until: s.until });
    expect(h.store.silences()).toEqual([
      { zone: 'z1', until: s.until, by: 'tech-1', reason: 'herd moving away' },
    ]);
    expect(h.ctl.state()[0]?.silencedUntil).toBe(s.until);
    // Evidence keeps coming while silenced: still quiet, but the alarm stays alive.
    h.timers.advance(200 * S);
    h.ctl.onEngineOutput(out([], ['z1']));
    h.timers.advance(99 * S);
    expect(h.s1.ops()).toEqual(['on', 'off']);
    h.timers.advance(1 * S); // t = 305: silence over, alarm still within max_activation → sounds
    expect(h.s1.ops()).toEqual(['on', 'off', 'on']);
    expect(h.kinds('siren_silenced').at(-1)?.fields).toMatchObject({ zone: 'z1', expired: true });
    expect(h.store.silences()).toEqual([]);
  });

  it('clamps silences to max_silence_min and can lift them early', async () => {
    const h = await harness({ max_silence_min: 240 });
    const s = h.ctl.silence('z1', 10_000, 'ops-1');
    expect(s.until).toBe(T0 + 240 * 60 * S);
    expect(() => h.ctl.silence('z1', 0, 'x')).toThrow(/positive/);
    expect(() => h.ctl.silence('nope', 5, 'x')).toThrow(/unknown zone/);
    h.ctl.onEngineOutput(out([change('z1', 'AWAS', 'SIAGA')]));
    expect(h.s1.ops()).toEqual([]);
    expect(h.ctl.unsilence('z1', 'ops-1')).toBe(true);
    expect(h.s1.ops()).toEqual(['on']);
    expect(h.ctl.unsilence('z1', 'ops-1')).toBe(false);
  });

  for (const mode of ['reject', 'throw', 'hang'] as const) {
    it(`a driver that fails (${mode}) raises siren_fault and the others still sound`, async () => {
      const h = await harness();
      h.s1.fail(mode);
      h.ctl.onEngineOutput(out([change('z1', 'AWAS', 'SIAGA')]));
      expect(h.s2.ops()).toEqual(['on']);
      await h.timers.advanceAsync(2 * S + 1); // past callTimeoutMs for the hanging one
      const faults = h.kinds('siren_fault');
      expect(faults).toHaveLength(1);
      expect(faults[0]?.fields).toMatchObject({ siren: 's1', zone: 'z1', op: 'on' });
      expect(h.ctl.state().find((s) => s.id === 's1')?.fault).toBeTruthy();
      expect(h.ctl.state().find((s) => s.id === 's2')?.fault).toBeUndefined();
      await h.timers.advanceAsync(20 * S);
      expect(h.s2.ops()).toEqual(['on', 'off']);
      h.s1.heal();
      await h.timers.advanceAsync(10 * S);
      expect(h.ctl.state().find((s) => s.id === 's1')?.fault).toBeUndefined();
    });
  }

  it('stop() switches every siren off and closes the drivers', async () => {
    const h = await harness();
    h.ctl.onEngineOutput(out([change('z1', 'AWAS', 'SIAGA')]));
    await h.ctl.stop();
    expect(h.s1.ops()).toEqual(['on', 'off', 'close']);
    expect(h.s3.ops()).toEqual(['off', 'close']);
    expect(h.kinds('siren_off').map((e) => e.fields.cause)).toEqual(['shutdown', 'shutdown']);
    h.ctl.onEngineOutput(out([change('z1', 'AWAS', 'SIAGA')]));
    expect(h.s1.ops(['on'])).toHaveLength(1);
    expect(h.timers.size).toBe(0);
  });

  it('test() sounds one siren through silence and ends on its own; off() stops it', async () => {
    const h = await harness();
    h.ctl.silence('z1', 30, 'x');
    await h.ctl.test('s1', 5);
    expect(h.s1.ops()).toEqual(['on']);
    expect(h.kinds('siren_on')[0]?.fields).toEqual({ siren: 's1', zone: null, cause: 'test' });
    h.timers.advance(5 * S);
    expect(h.at(h.s1, 'off')).toEqual([5]);
    await h.ctl.test('s1', 60);
    await h.ctl.off('s1');
    expect(h.s1.ops()).toEqual(['on', 'off', 'on', 'off']);
    expect(h.kinds('siren_off').at(-1)?.fields.cause).toBe('off');
    await expect(h.ctl.test('nope')).rejects.toThrow(/unknown siren/);
  });

  it('off() keeps a siren quiet for the alarm in progress; a new alarm sounds it again', async () => {
    const h = await harness();
    h.ctl.onEngineOutput(out([change('z1', 'AWAS', 'SIAGA')]));
    await h.ctl.off('s1');
    h.timers.advance(60 * S);
    expect(h.s1.ops()).toEqual(['on', 'off']);
    expect(h.s2.ops(['on']).length).toBeGreaterThan(1);
    h.ctl.onEngineOutput(out([change('z1', 'SIAGA', 'AWAS')]));
    h.timers.advance(1 * S);
    h.ctl.onEngineOutput(out([change('z1', 'AWAS', 'SIAGA')]));
    expect(h.s1.ops().at(-1)).toBe('on');
  });

  it('selfTest() sounds each siren self_test_s, checks it and reports siren_test', async () => {
    const h = await harness({ self_test_s: 2 });
    h.s3.fail('reject', ['check']);
    const p = h.ctl.selfTest();
    expect(h.s1.ops()).toEqual(['on']);
    await h.timers.advanceAsync(2 * S);
    const results = await p;
    expect(h.s1.ops()).toEqual(['on', 'off', 'check']);
    expect(h.at(h.s1, 'off')).toEqual([2]);
    expect(results).toEqual([
      { siren: 's1', ok: true },
      { siren: 's2', ok: true },
      { siren: 's3', ok: false, fault: 'check failed (test)' },
    ]);
    expect(h.kinds('siren_test').map((e) => e.fields.ok)).toEqual([true, true, false]);
  });

  it('evaluate() after restore sounds zones at or above sound_at', async () => {
    const h = await harness();
    h.ctl.evaluate({ z1: 'NORMAL', z2: 'AWAS' });
    expect(h.s3.ops()).toEqual(['on']);
    expect(h.kinds('siren_on')[0]?.fields.cause).toBe('restore');
    h.ctl.evaluate(new Map([['z2', 'WASPADA' as Level]]));
    expect(h.s3.ops()).toEqual(['on', 'off']);
  });

  it('input before start() is held until the safe-start OFF is done', async () => {
    const h = await harness({}, { start: false });
    h.ctl.onEngineOutput(out([change('z1', 'AWAS', 'SIAGA')]));
    expect(h.s1.ops()).toEqual([]);
    await h.ctl.start();
    expect(h.s1.ops()).toEqual(['off', 'on']);
  });

  it('reconfigure keeps a sounding siren on when its driver is kept, and closes a replaced one', async () => {
    const h = await harness();
    h.ctl.onEngineOutput(out([change('z1', 'AWAS', 'SIAGA')]));
    const s2b = new RecordingSiren('s2', h.clock);
    h.ctl.reconfigure(
      { ...h.config, sirens: h.config.sirens.filter((s) => s.id !== 's3') },
      new Map([
        ['s1', h.s1],
        ['s2', s2b],
      ]),
    );
    await h.timers.advanceAsync(0);
    expect(h.s1.ops()).toEqual(['on']);
    expect(h.s2.ops()).toEqual(['on', 'off', 'close']);
    expect(s2b.ops()).toEqual(['on']);
    expect(h.s3.ops()).toEqual(['close']);
    expect(h.ctl.state().map((s) => s.id)).toEqual(['s1', 's2']);
  });

  it('state() reports per siren on, zone and on-seconds in the last hour', async () => {
    const h = await harness();
    h.ctl.onEngineOutput(out([change('z1', 'AWAS', 'SIAGA')]));
    h.timers.advance(25 * S);
    expect(h.ctl.state()).toEqual([
      { id: 's1', on: false, zone: null, onSecondsLastHour: 20 },
      { id: 's2', on: false, zone: null, onSecondsLastHour: 20 },
      { id: 's3', on: false, zone: null, onSecondsLastHour: 0 },
    ]);
    h.timers.advance(10 * S);
    expect(h.ctl.state()[0]).toEqual({ id: 's1', on: true, zone: 'z1', onSecondsLastHour: 25 });
  });
});
