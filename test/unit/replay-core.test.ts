import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { soundings } from '../../src/cli/commands/replay.js';
import { buildConfigSchema, type ConfigInput } from '../../src/config/schema.js';
import { DetectionEngine } from '../../src/detect/engine.js';
import type { LevelChange } from '../../src/detect/types.js';
import { ManualClock, type Reading } from '../../src/domain/index.js';
import { replay } from '../../src/report/replay.js';
import { HERD_AT, NIGHT_NODES, storedNight } from '../fixtures/stored-night.js';

const configSchema = buildConfigSchema();

const S = 1000;
const MIN = 60 * S;

function config(detection: ConfigInput['detection'] = {}, alerts?: ConfigInput['alerts']) {
  return configSchema.parse({
    gateway: {
      id: 'gw-replay',
      site: { name: 'Braja', village_code: '18.07.11.2005', lat: -4.93, lon: 105.78 },
    },
    nodes: NIGHT_NODES,
    zones: [{ id: 'z-braja', name: 'Braja Harjosari', sirens: ['s-braja'] }],
    sirens: [{ id: 's-braja', driver: 'print' }],
    detection,
    ...(alerts ? { alerts } : {}),
  });
}

const levels = (changes: LevelChange[]) => changes.map((c) => `${c.prev}→${c.level}`);

describe('replay: a stored night through the engine, the siren policy and the escalation', () => {
  it('tells when the zone rose, that the siren sounded its pattern for the alarm, and the all-clear', () => {
    const r = replay(config(), storedNight());
    expect(r.readings).toBe(storedNight().length);
    expect(levels(r.changes)).toEqual([
      'NORMAL→SIAGA',
      'SIAGA→AWAS',
      'AWAS→SIAGA',
      'SIAGA→WASPADA',
      'WASPADA→NORMAL',
    ]);
    // The beam cut with the fence gone low is SIAGA at once; the third footfall agrees with the
    // beam and it is AWAS at +2:40, before the camera trap's sighting at +4:00.
    const awas = r.changes[1] as LevelChange;
    expect(awas.ts).toBe(HERD_AT + 2 * MIN + 40 * S);
    expect(awas.reason).toContain('beam cut and footfalls agree');
    expect(r.changes.at(-1)?.allClear).toBe(true);
    // Re-triggered by the footfalls, the camera and the fence at +5:00: 180 s from then, 20 s on / 10 s off.
    const first = r.sirens[0];
    expect(first).toMatchObject({ siren: 's-braja', on: true, ts: awas.ts, cause: 'level' });
    // The last on-phase (7:40–8:00) ends with the alarm: 180 s after the re-trigger at 5:00.
    expect(r.sirens.at(-1)).toMatchObject({ on: false, ts: HERD_AT + 8 * MIN, cause: 'max_activation' });
    expect(r.sirenSeconds).toEqual({ 's-braja': 220 });
    const runs = soundings(r.sirens, r.to);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      siren: 's-braja',
      zone: 'z-braja',
      from: awas.ts,
      onMs: 220_000,
    });
  });

  it('shows what another config would have done with the same readings', () => {
    const strict = replay(config({ thresholds: { waspada: 60, siaga: 120, awas: 200 } }), storedNight());
    expect(strict.changes.some((c) => c.level === 'AWAS')).toBe(false);
    expect(strict.sirens).toEqual([]);
    expect(strict.sirenSeconds).toEqual({ 's-braja': 0 });
  });

  it('counts the SMS the escalation would send once alerts are on, and none when they are off', () => {
    const alerts: ConfigInput['alerts'] = {
      enabled: false,
      contacts: [{ id: 'guard-1', name: 'Pos 1', phone: '+6281200000001', roles: ['guard'] }],
      policies: [{ zone: '*', steps: [{ after_min: 0, notify: ['role:guard'], min_level: 'SIAGA' }] }],
    };
    expect(replay(config({}, alerts), storedNight()).notifications).toEqual([]);
    const sms = replay(config({}, alerts), storedNight(), { alerts: true }).notifications;
    expect(sms[0]).toMatchObject({ contact: 'guard-1', kind: 'alert', level: 'SIAGA' });
    expect(sms.map((n) => n.kind)).toContain('all_clear');
  });

  it('leaves out readings of nodes the config does not know, and says how many', () => {
    const stray: Reading = { ...(storedNight()[0] as Reading), id: 'x', node: 'pir-gone' };
    const r = replay(config(), [stray, ...storedNight()]);
    expect(r.unknownNodes).toBe(1);
    expect(r.readings).toBe(storedNight().length);
  });

  it('returns an empty result for no readings', () => {
    expect(replay(config(), [])).toMatchObject({ readings: 0, changes: [], sirens: [], from: 0, to: 0 });
  });

  it('decides exactly as the gateway does, ticking every second, though it skips the quiet ticks', () => {
    const nodes = NIGHT_NODES.map((n) => n.id);
    const reading = fc.record({
      gap: fc.integer({ min: 0, max: 30 * MIN }),
      node: fc.constantFrom(...nodes),
      x: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(reading, { maxLength: 40 }), (steps) => {
        let t = HERD_AT;
        const readings: Reading[] = steps.map((s, i) => {
          t += s.gap;
          const node = NIGHT_NODES.find((n) => n.id === s.node) ?? NIGHT_NODES[0];
          const type = node?.type ?? 'pir';
          const v =
            type === 'cam'
              ? { label: 'elephant', conf: 0.5 + s.x / 2 }
              : type === 'seis'
                ? { pgv: s.x * 2 }
                : type === 'fence'
                  ? { kv: s.x * 8 }
                  : type === 'beam'
                    ? { cut: s.x > 0.3 ? 1 : 0 }
                    : { n: Math.round(s.x * 4) };
          return { id: `p${i}`, node: s.node, seq: i, type, ts: t, via: 'serial', v, clockOk: true };
        });
        const cfg = config({ window_s: 300, hold_s: 120 });
        const r = replay(cfg, readings);
        // The gateway: a tick every second from the first reading, each reading when it comes.
        const clock = new ManualClock(readings[0]?.ts ?? 0);
        const engine = new DetectionEngine({ config: cfg, clock });
        const live: LevelChange[] = [];
        let next = clock.now() + S;
        for (const rd of readings) {
          for (; next <= rd.ts; next += S) {
            clock.set(next);
            live.push(...engine.tick().changes);
          }
          clock.set(Math.max(clock.now(), rd.ts));
          live.push(...engine.onReading(rd).changes);
        }
        for (; next <= r.to; next += S) {
          clock.set(next);
          live.push(...engine.tick().changes);
        }
        expect(r.changes).toEqual(live);
      }),
      { numRuns: 60 },
    );
  });
});
