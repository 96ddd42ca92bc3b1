import { type ConfigInput, configSchema } from '../../src/config/schema.js';
import { DetectionEngine, type DetectionEngineConfig } from '../../src/detect/index.js';
import type { Reading, ReadingType, Values } from '../../src/domain/index.js';
import { ManualClock } from '../../src/domain/index.js';

/** Shared fixtures of the detection tests (not a test file itself). */

export const T0 = Date.UTC(2026, 10, 23, 19, 0, 0); // 02:00 WIB, elephants' favourite hour
export const S = 1000;
export const MIN = 60 * S;

/** Way Kambas, near Braja Harjosari. */
export const BRAJA_CENTER: [number, number] = [-4.93, 105.78];

export const NODES: ConfigInput['nodes'] = [
  { id: 'pir-07', type: 'pir', zone: 'z-braja' },
  { id: 'pir-08', type: 'pir', zone: 'z-braja' },
  { id: 'cam-02', type: 'cam', zone: 'z-braja' },
  { id: 'cam-05', type: 'cam', zone: 'z-braja' },
  { id: 'seis-03', type: 'seis', zone: 'z-braja' },
  { id: 'seis-04', type: 'seis', zone: 'z-braja' },
  { id: 'beam-11', type: 'beam', zone: 'z-braja' },
  { id: 'fence-01', type: 'fence', zone: 'z-braja' },
  { id: 'col-ek1', type: 'gps', zone: 'z-braja' },
  { id: 'btn-pos1', type: 'btn', zone: 'z-braja' },
  { id: 'btn-pos2', type: 'btn', zone: 'z-braja' },
  { id: 'pir-90', type: 'pir', zone: 'z-tegal' },
  { id: 'btn-90', type: 'btn', zone: 'z-tegal' },
  { id: 'col-ek2', type: 'gps', zone: 'z-tegal' },
  { id: 'orphan-1', type: 'pir', zone: 'z-gone' },
];

export const ZONES: ConfigInput['zones'] = [
  { id: 'z-braja', name: 'Braja Harjosari', center: BRAJA_CENTER, radius_m: 1500, sirens: [] },
  { id: 'z-tegal', name: 'Tegal Yoso', sirens: [] },
];

export function makeConfig(
  detection: ConfigInput['detection'] = {},
  over: Partial<Pick<ConfigInput, 'nodes' | 'zones'>> = {},
): DetectionEngineConfig {
  const cfg = configSchema.parse({
    gateway: {
      id: 'gw-test',
      site: { name: 'Test', village_code: '18.07.11.2005', lat: -4.93, lon: 105.78 },
    },
    nodes: over.nodes ?? NODES,
    zones: over.zones ?? ZONES,
    detection,
  });
  return { detection: cfg.detection, zones: cfg.zones, nodes: cfg.nodes };
}

let seq = 0;
export function reading(node: string, type: ReadingType, v: Values, ts: number): Reading {
  seq++;
  return { id: `r${seq}`, node, seq, type, ts, via: 'serial', v, clockOk: true };
}

export interface Rig {
  clock: ManualClock;
  engine: DetectionEngine;
  config: DetectionEngineConfig;
  /** A reading stamped now, fed to the engine. */
  send(node: string, type: ReadingType, v: Values): ReturnType<DetectionEngine['onReading']>;
  /** Advances the clock by `ms`, ticking every `step` ms; returns every change seen. */
  run(ms: number, step?: number): ReturnType<DetectionEngine['tick']>['changes'];
}

export function rig(detection: ConfigInput['detection'] = {}): Rig {
  const clock = new ManualClock(T0);
  const config = makeConfig(detection);
  const engine = new DetectionEngine({ config, clock });
  return {
    clock,
    engine,
    config,
    send: (node, type, v) => engine.onReading(reading(node, type, v, clock.now())),
    run(ms, step = S) {
      const changes = [];
      const end = clock.now() + ms;
      while (clock.now() < end) {
        clock.advance(Math.min(step, end - clock.now()));
        changes.push(...engine.tick().changes);
      }
      return changes;
    },
  };
}
