import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, it, vi } from 'vitest';

/**
 * `siaga run` builds the config schema (~2 MB of zod objects) to check the file and must then let
 * it go: the gateway runs for months and a reload builds a new one.
 */
const built: WeakRef<object>[] = [];
vi.mock('../../src/config/schema.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/config/schema.js')>();
  return {
    ...real,
    buildConfigSchema: () => {
      const s = real.buildConfigSchema();
      built.push(new WeakRef(s));
      return s;
    },
  };
});

const { parseConfig } = await import('../../src/config/load.js');

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const YAML = `
gateway: {id: gw-gc, site: {name: Desa, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}}
nodes: [{id: pir-07, type: pir, zone: z-braja}]
zones: [{id: z-braja, name: Braja}]
`;

it('nothing keeps the config schema once the file is checked, whether it was valid or not', async () => {
  const config = parseConfig(YAML, '/tmp');
  expect(config.gateway.site.tz).toBe('Asia/Jakarta');
  expect(() => parseConfig(`${YAML}\nschedules: {heartbeet: '* * * * *'}\n`, '/tmp')).toThrow(/heartbeat/);
  expect(built).toHaveLength(2);
  // A WeakRef keeps its target until the current job ends.
  await new Promise((r) => setTimeout(r, 0));
  gc();
  expect(built.map((w) => w.deref() === undefined)).toEqual([true, true]);
});
