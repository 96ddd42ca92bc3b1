import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { neighbourLines, neighbourSummary } from '../../src/cli/neighbours-status.js';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/domain/index.js';

const BASE = `
gateway: {id: gw-tegal-01, site: {name: Tegal, village_code: "18.07.11.2006", lat: -5.0, lon: 105.7}}
storage: {path: ./x.db}
nodes: [{id: pir-07, type: pir, zone: z-a}]
zones: [{id: z-a, name: Zone A, sirens: []}]
`;

function issuesOf(text: string, dir = tmpdir()): string[] {
  try {
    parseConfig(text, dir);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}

describe('config: neighbours', () => {
  it('fills weight 30 and max_age_s 600, and reads the neighbour broker password from its file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'siaga-nb-'));
    writeFileSync(join(dir, 'nb.pass'), 'viewer-secret\n');
    const c = parseConfig(
      `${BASE}uplink: {url: "mqtts://centre.example:8883"}
neighbours:
  - {gateway: gw-braja-02, zones: {z-edge: z-a}, distance_m: 1200}
  - {gateway: gw-labuhan-03, zones: {z-1: z-a}, distance_m: 900, direction: south, weight: 20, max_age_s: 120,
     broker: {url: "mqtts://192.168.1.12:8883", username: nb-tegal, password_file: nb.pass}}`,
      dir,
    );
    expect(c.neighbours[0]).toEqual({
      gateway: 'gw-braja-02',
      zones: { 'z-edge': 'z-a' },
      distance_m: 1200,
      weight: 30,
      max_age_s: 600,
    });
    expect(c.neighbours[1]?.broker?.password).toBe('viewer-secret');
    // siaga config check names each neighbour, its zones and how it is heard.
    expect(neighbourSummary(c.neighbours[0] as never, true)).toMatch(
      /gw-braja-02: z-edge → z-a, 1\.2 km, .+/,
    );
    const both = neighbourSummary(c.neighbours[1] as never, true);
    expect(both).toContain('900 m south');
    expect(both).toContain(' + ');
    expect(parseConfig(BASE, dir).neighbours).toEqual([]);
  });

  it('refuses our unknown zones, ourselves, a gateway twice, a bad direction, and a neighbour with no way to hear it', () => {
    expect(
      issuesOf(`${BASE}neighbours:
  - {gateway: gw-tegal-01, zones: {z-x: z-nope}, distance_m: 500}
  - {gateway: gw-braja-02, zones: {z-x: z-a}, distance_m: 500, direction: westish}
  - {gateway: gw-braja-02, zones: {}, distance_m: 500}`),
    ).toEqual(
      expect.arrayContaining([
        'neighbours[0].gateway: is this gateway itself',
        'neighbours[0].zones.z-x: unknown zone "z-nope" (ours)',
        'neighbours[2].gateway: "gw-braja-02" is listed twice (also neighbours[1])',
        expect.stringMatching(/^neighbours\[1\]\.direction: /),
        'neighbours[2].zones: map at least one of their zones to one of ours',
        'neighbours[0]: no way to hear it: configure uplink (through the centre) or broker (its local broker)',
      ]),
    );
  });
});

describe('siaga status: neighbouring villages', () => {
  it('shows each path up or down, the last event and what was ignored', () => {
    const now = Date.UTC(2026, 10, 23, 19, 0, 0);
    const lines = neighbourLines(
      [
        {
          gateway: 'gw-braja-02',
          links: { centre: true, mesh: false },
          last_event: { ts: now - 70_000, zone: 'z-edge', level: 'AWAS', received: now - 65_000 },
          accepted: 3,
          ignored: { stale: 2, not_local: 1 },
        },
        { gateway: 'gw-labuhan-03', links: { centre: false }, last_event: null, accepted: 0, ignored: {} },
      ],
      now,
    );
    expect(lines[0]).toMatch(/neighbour|tetangga/);
    expect(lines[1]).toContain('gw-braja-02');
    expect(lines[1]).toContain('AWAS');
    expect(lines[1]).toContain('z-edge');
    expect(lines[1]).toContain('stale 2, not_local 1');
    expect(lines[2]).toContain('gw-labuhan-03');
    expect(neighbourLines([], now)).toEqual([]);
  });
});
