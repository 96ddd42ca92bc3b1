import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cycles, type ImportEdge, importGraph } from '../helpers/import-graph.js';

/**
 * The rules of docs/architecture.md, checked over the real import graph: a change that breaks one
 * fails here with the offending imports listed.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const edges = importGraph(ROOT, ['src', 'drivers']);

const under = (folder: string) => (path: string) => path.startsWith(`${folder}/`);
function offending(from: (p: string) => boolean, to: (e: ImportEdge) => boolean): string[] {
  return edges.filter((e) => from(e.from) && to(e)).map((e) => `${e.from} → ${e.to}`);
}

describe('architecture rules (docs/architecture.md)', () => {
  it('reads a real graph', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges.some((e) => e.from === 'src/main.ts' && e.to.startsWith('src/store/'))).toBe(true);
  });

  it('has no import cycle between files', () => {
    expect(cycles(edges)).toEqual([]);
  });

  it('codecs and detection are pure: they never touch the store, the uplink, drivers or the runtime', () => {
    const impure = ['src/store', 'src/uplink', 'src/gateway', 'src/broker', 'src/sirens', 'drivers'];
    const bad = (e: ImportEdge) => impure.some((f) => under(f)(e.to));
    expect(offending(under('src/codecs'), bad)).toEqual([]);
    expect(offending(under('src/detect'), bad)).toEqual([]);
  });

  it('drivers depend only on ports, domain and util (config types allowed for their settings)', () => {
    const allowed = (e: ImportEdge) =>
      under('drivers')(e.to) ||
      under('src/ports')(e.to) ||
      under('src/domain')(e.to) ||
      under('src/util')(e.to) ||
      (e.typeOnly && e.to === 'src/config/schema.ts');
    expect(offending(under('drivers'), (e) => !allowed(e))).toEqual([]);
  });

  it('the store never imports the uplink, the codecs or the runtime', () => {
    const bad = (e: ImportEdge) =>
      ['src/uplink', 'src/codecs', 'src/gateway', 'src/report', 'drivers'].some((f) => under(f)(e.to));
    expect(offending(under('src/store'), bad)).toEqual([]);
  });

  it('the domain imports nothing of ours outside itself', () => {
    expect(offending(under('src/domain'), (e) => !under('src/domain')(e.to))).toEqual([]);
  });

  it('ports are interfaces over the domain only', () => {
    const allowed = (e: ImportEdge) =>
      under('src/ports')(e.to) ||
      under('src/domain')(e.to) ||
      (e.typeOnly && e.to === 'src/config/schema.ts');
    expect(offending(under('src/ports'), (e) => !allowed(e))).toEqual([]);
  });

  it('the composition root only wires: src/main.ts stays within 200 lines', () => {
    const lines = readFileSync(join(ROOT, 'src', 'main.ts'), 'utf8').split('\n').length;
    expect(lines).toBeLessThanOrEqual(200);
  });
});
