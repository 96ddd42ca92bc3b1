import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';

export { silentLog } from './log.js';

export function tmpDir(prefix = 'siaga-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A small valid config (one zone, a few nodes, a print siren) in a fresh temp dir, plus YAML extras. */
export function testConfig(extra = '', dir = tmpDir()): Config {
  const text = `
gateway: {id: gw-test, site: {name: Desa Uji, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}}
storage: {path: ${join(dir, 'siaga.db')}, group_commit: {max_rows: 100, max_delay_ms: 2}}
nodes:
  - {id: pir-07, type: pir, zone: z-braja}
  - {id: seis-03, type: seis, zone: z-braja}
  - {id: cam-02, type: cam, zone: z-braja}
  - {id: btn-pos1, type: btn, zone: z-braja}
  - {id: fence-01, type: fence, zone: z-braja}
zones: [{id: z-braja, name: Braja, sirens: [s-1], center: [-5.02, 105.76], radius_m: 1500}]
sirens: [{id: s-1, driver: print}]
control: {socket: ${join(dir, 'siaga.sock')}}
log: {level: silent}
${extra}`;
  return parseConfig(text, dir);
}
