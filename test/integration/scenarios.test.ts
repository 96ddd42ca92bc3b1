import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { DetectionEngine } from '../../src/detect/engine.js';
import type { LevelChange } from '../../src/detect/types.js';
import { levelRank, ManualClock, type Reading } from '../../src/domain/index.js';
import { SCENARIOS } from '../../src/sim/scenarios.js';
import { SirenController } from '../../src/sirens/controller.js';
import { openDb } from '../../src/store/db.js';
import { SirenStore } from '../../src/store/silences.js';
import { RecordingEvents } from '../fakes/recording-events.js';
import { ManualTimers, RecordingSiren } from '../fakes/recording-siren.js';
import { silentLog } from '../helpers/gateway.js';
import { must } from '../helpers/must.js';

const T0 = Date.parse('2026-11-25T20:00:00Z');

/**
 * Plays a scenario of src/sim/scenarios.ts (the ones `siaga simulate --scenario` and the demo
 * play) against the demo config through the real engine and siren controller, one second at a time.
 */
async function play(name: string) {
  const scenario = must(SCENARIOS.get(name), `scenario ${name}`);
  const { config } = loadConfig(join(new URL('../../config', import.meta.url).pathname, 'demo.yaml'));
  const clock = new ManualClock(T0);
  const timers = new ManualTimers(clock);
  const sirens = new Map(config.sirens.map((s) => [s.id, new RecordingSiren(s.id, clock)]));
  const events = new RecordingEvents({ clock });
  const ctl = new SirenController({
    config,
    drivers: sirens,
    clock,
    events,
    store: new SirenStore(openDb(':memory:')),
    log: silentLog,
    timers,
  });
  await ctl.start();
  const engine = new DetectionEngine({ config, clock });
  const changes: LevelChange[] = [];
  const notices: string[] = [];
  const steps = scenario.steps(config.nodes).sort((a, b) => a.at - b.at);
  let seq = 0;
  const calmDown = (config.detection.window_s + 4 * config.detection.hold_s + 5) * 1000;
  for (let t = 0; t <= scenario.durationMs + calmDown; t += 1000) {
    for (const s of steps.filter((x) => x.at > t - 1000 && x.at <= t)) {
      const r: Reading = {
        id: `r${++seq}`,
        node: s.node,
        seq,
        type: s.type,
        ts: clock.now(),
        via: 'serial',
        v: s.v,
        clockOk: true,
      };
      const out = engine.onReading(r);
      ctl.onEngineOutput(out);
      changes.push(...out.changes);
      notices.push(...out.notices.map((n) => n.kind));
    }
    const out = engine.tick();
    ctl.onEngineOutput(out);
    changes.push(...out.changes);
    timers.advance(1000);
  }
  const top = changes.reduce((m, c) => Math.max(m, levelRank(c.level)), 0);
  const braja = must(sirens.get('s-braja-1'), 'siren s-braja-1 in the demo config');
  return { changes, notices, top, braja, kinds: events.events.map((e) => e.kind), engine };
}

describe('the simulator scenarios behave as their names say', () => {
  it('elephant-night: the levels rise to AWAS, the siren sounds, then one step at a time to an all-clear', async () => {
    const r = await play('elephant-night');
    // The beam cut agrees with the footfalls before it: AWAS at once, ahead of the camera.
    expect(r.changes.map((c) => c.level)).toEqual(['WASPADA', 'AWAS', 'SIAGA', 'WASPADA', 'NORMAL']);
    expect(r.changes[1]?.reason).toMatch(/^AWAS: beam cut and footfalls agree/);
    expect(r.changes.at(-1)?.allClear).toBe(true);
    expect(r.braja.ops(['on']).length).toBeGreaterThan(0);
    expect(r.braja.on_).toBe(false);
    expect(r.engine.zones().every((z) => z.level === 'NORMAL')).toBe(true);
  });

  it('noisy-pir: one faulty PIR firing all night never sounds a siren nor reaches SIAGA', async () => {
    const r = await play('noisy-pir');
    expect(r.top).toBeLessThan(levelRank('SIAGA'));
    expect(r.braja.ops(['on'])).toEqual([]);
  });

  it('panic-button: AWAS at once, manual, the siren sounds; cancelled, it calms down', async () => {
    const r = await play('panic-button');
    expect(r.changes[0]).toMatchObject({ level: 'AWAS', prev: 'NORMAL', manual: true });
    expect(r.braja.ops(['on']).length).toBeGreaterThan(0);
    expect(r.changes.at(-1)).toMatchObject({ level: 'NORMAL', allClear: true });
  });

  it('fence-cut: a fence_low notice; the beam agrees with the low fence (SIAGA, no siren), the footfalls make it AWAS', async () => {
    const r = await play('fence-cut');
    expect(r.notices).toContain('fence_low');
    expect(r.changes.slice(0, 2).map((c) => c.level)).toEqual(['SIAGA', 'AWAS']);
    const [siaga, awas] = r.changes as [LevelChange, LevelChange];
    expect(siaga.reason).toMatch(/^SIAGA: beam cut and fence low agree/);
    expect(r.top).toBe(levelRank('AWAS'));
    // No siren while SIAGA: the first ON comes with AWAS.
    const firstOn = r.braja.calls.find((c) => c.op === 'on');
    expect(firstOn?.at).toBe(awas.ts);
  });
});
