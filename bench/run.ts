import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { must } from '../src/util/must.js';
import { type Figure, fmtNum, machineInfo } from './common.js';

/**
 * `npm run bench` (or `node dist-bench/bench/run.js P1 P3`): runs every figure of docs/quality.md that has a
 * bench, prints one table and writes bench/results/latest.json. Each bench cleans up its own
 * scratch directories and child processes; a failing bench is reported as an error row and the
 * others still run.
 */

type Bench = () => Promise<Figure[]>;

const BENCHES: Record<string, Bench> = {
  P1: async () => (await import('./p1-serial.js')).benchP1(),
  P2: async () => (await import('./p2-lora.js')).benchP2(),
  P3: async () => (await import('./p3-latency.js')).benchP3(),
  P4: async () => (await import('./uplink.js')).benchP4(),
  P5: async () => (await import('./uplink.js')).benchP5(),
  P6: async () => (await import('./p6-memory.js')).benchP6(),
  M1: async () => (await import('./rate-1k.js')).benchRate1k(),
  P7: async () => (await import('./p7-idle.js')).benchP7(),
  P8: async () => (await import('./p8-startup.js')).benchP8(),
  P9: async () => (await import('./p9-disk.js')).benchP9(),
  P10: async () => (await import('./p10-centre-latency.js')).benchP10(),
  W1: async () => (await import('./w-web.js')).benchW('W1'),
  W2: async () => (await import('./w-web.js')).benchW('W2'),
  W3: async () => (await import('./w-web.js')).benchW('W3'),
  L1: async () => (await import('./l1-downlink.js')).benchL1(),
  L2: async () => (await import('./l2-joins.js')).benchL2(),
  A1: async () => (await import('./a1-sms.js')).benchA1(),
  A2: async () => (await import('./a2-cap.js')).benchA2(),
  A3: async () => (await import('./a3-incidents.js')).benchA3(),
};

/** Where the repo's bench/ is: dist-bench/bench/run.js → ../../bench. */
function resultsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const inRepo = join(here, '..', '..', 'bench', 'results');
  const beside = join(here, 'results');
  return !existsSync(dirname(inRepo)) && existsSync(dirname(beside)) ? beside : inRepo;
}

function notesOf(f: Figure): string {
  const parts: string[] = [];
  if (f.pass === false) parts.push('**MISSES TARGET**');
  if (typeof f.notes === 'string') parts.push(f.notes);
  else if (typeof f.note === 'string') parts.push(f.note);
  else if (typeof f.ratio === 'number') parts.push(`ratio ${f.ratio.toFixed(2)}`);
  return parts.join(' ');
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).map((s) => s.toUpperCase());
  const unknown = wanted.filter((w) => !(w in BENCHES));
  if (unknown.length > 0) {
    console.error(`unknown figure(s) ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(' ')}`);
    process.exitCode = 2;
    return;
  }
  const ids = wanted.length > 0 ? wanted : Object.keys(BENCHES);
  const figures: Figure[] = [];
  const errors: { figure: string; error: string }[] = [];
  const started = Date.now();
  for (const id of ids) {
    const t0 = Date.now();
    process.stderr.write(`bench ${id}… `);
    try {
      const fs = await must(BENCHES[id], `bench ${id} (names were checked above)`)();
      figures.push(...fs);
      process.stderr.write(`${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      errors.push({ figure: id, error: msg });
      figures.push({ figure: id, value: Number.NaN, unit: '', notes: `ERROR: ${msg.split('\n')[0]}` });
      process.stderr.write(`failed: ${msg}\n`);
    }
  }

  const machine = machineInfo();
  const rows = figures.map((f) => [
    f.figure,
    f.unit ? `${fmtNum(f.value)} ${f.unit}` : fmtNum(f.value),
    f.target ?? '',
    notesOf(f),
  ]);
  const lines = [
    `Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.os}, ${machine.date}`,
    '',
    '| # | figure | value | target | ratio/notes |',
    '|---|---|---|---|---|',
    ...rows.map((r, i) => `| ${i + 1} | ${r.join(' | ')} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  const out = join(dir, wanted.length > 0 ? `partial-${ids.join('-')}.json` : 'latest.json');
  writeFileSync(
    out,
    `${JSON.stringify({ machine, seconds: Math.round((Date.now() - started) / 100) / 10, figures, errors }, null, 2)}\n`,
  );
  process.stderr.write(`wrote ${out}\n`);
  if (errors.length > 0) process.exitCode = 1;
}

await main();
