import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { buildConfigSchema, type Config } from '../../src/config/schema.js';
import { replay } from '../../src/report/replay.js';
import { geometryOf } from './geometry.js';
import { addNight, emptyTotals, type Figures, figures, judgeNight, type Totals } from './judge.js';
import { type NightPlan, simulateNight } from './night.js';
import { DEFAULT_PARAMS, MIXES, type Mix, mergeParams, type SimParams } from './params.js';
import { Rng } from './rng.js';
import { formatTable } from './table.js';
import { VARIANTS, type Variant } from './variants.js';

const configSchema = buildConfigSchema();

/**
 * `npm run bench:detect`: a year of simulated nights per scenario mix at the bench village, each
 * night replayed through the real engine, siren policy and alert escalation for every config
 * variant (the same nights for all of them), then D1–D5 per variant and mix: printed as a table
 * and written to bench/results/detect-latest.json.
 *
 * Options: --site file.yaml (layout and config), --params file.json (rates), --variants file.json
 * (extra variants: {"name": {detection…}}), --months n, --mix name, --seed n, --only name.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
/** dist-bench/bench/detect → the repo. */
const REPO = resolve(HERE, '..', '..', '..');

/** The bench's report goes to stdout (it is a command-line tool, not the gateway). */
const say = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

/** The site config with a variant's detection (and siren policy) in place of its own. */
export function variantConfig(siteFile: string, v: Variant): Config {
  const raw = parseYaml(readFileSync(siteFile, 'utf8')) as Record<string, unknown>;
  const base = loadConfig(siteFile).config; // validates the file (refs, ids) once per variant
  const cfg = configSchema.parse({
    ...raw,
    detection: v.detection,
    ...(v.siren_policy ? { siren_policy: v.siren_policy } : {}),
  });
  return { ...base, detection: cfg.detection, siren_policy: cfg.siren_policy };
}

/** A month's plan: which nights have herds, cattle, rain, a broken PIR, a child at the button. */
export function planMonth(
  rng: Rng,
  p: SimParams,
  mix: Mix,
  pirs: string[],
  buttons: string[],
  monthStart: number,
): NightPlan[] {
  const n = { ...p.noise, ...mix.noise };
  const nights = p.nights_per_month;
  const plans: NightPlan[] = Array.from({ length: nights }, () => ({
    herd: rng.chance(mix.herd_p),
    cattle: rng.chance(n.cattle_p),
    rain: rng.chance(n.rain_p),
    brokenPirs: [],
    presses: [],
  }));
  const nightMs = 24 * 3_600_000;
  const length = ((24 + p.night.end_h - p.night.start_h) % 24) * 3_600_000;
  if (pirs.length > 0 && rng.chance(n.pir_fail_p_month)) {
    const node = pirs[rng.int([0, pirs.length - 1])] as string;
    const first = rng.int([0, nights - 1]);
    const days = rng.int(n.pir_fail_days);
    for (let k = first; k < Math.min(nights, first + days); k++) {
      const start = monthStart + k * nightMs;
      (plans[k] as NightPlan).brokenPirs.push({
        node,
        from: k === first ? start + rng.next() * length : start,
      });
    }
  }
  for (const node of buttons) {
    for (let e = rng.poisson(n.child_press_per_month); e > 0; e--) {
      const k = rng.int([0, nights - 1]);
      const at = monthStart + k * nightMs + rng.uniform([0, 3]) * 3_600_000;
      const cancel = rng.chance(n.child_cancel_p) ? at + rng.uniform([2, 10]) * 60_000 : undefined;
      (plans[k] as NightPlan).presses.push({
        node,
        at,
        ...(cancel === undefined ? {} : { cancelAt: cancel }),
      });
    }
  }
  return plans;
}

export interface RunResult {
  mix: string;
  variant: string;
  figures: Figures;
  totals: Omit<Totals, 'leads'>;
}

export function runBench(opts: {
  siteFile: string;
  params: SimParams;
  variants: Variant[];
  mixes: Mix[];
  seed: number;
  zone?: string;
}): RunResult[] {
  const { params: p } = opts;
  const configs = opts.variants.map((v) => ({ v, cfg: variantConfig(opts.siteFile, v) }));
  const first = configs[0];
  if (first === undefined) throw new Error('no variant to run');
  const g = geometryOf(first.cfg, p.layout, opts.zone);
  const pirs = g.sensors.filter((s) => s.type === 'pir').map((s) => s.id);
  const results: RunResult[] = [];
  // 1 July 2027, 18:00 WIB: the dry season, when the herds raid the crops.
  const t0 = Date.UTC(2027, 6, 1, p.night.start_h - 7);
  for (const [mi, mix] of opts.mixes.entries()) {
    const totals = configs.map(() => emptyTotals(p.months));
    const world = new Rng(opts.seed + 7919 * mi);
    for (let m = 0; m < p.months; m++) {
      const monthStart = t0 + m * p.nights_per_month * 86_400_000;
      const mp = mergeParams(p, { noise: mix.noise ?? {} });
      const plans = planMonth(world.fork(m), mp, mix, pirs, g.buttons, monthStart);
      plans.forEach((plan, k) => {
        const night = simulateNight(world.fork(1000 * (m + 1) + k), mp, g, monthStart + k * 86_400_000, plan);
        configs.forEach(({ cfg }, i) => {
          const r = replay(cfg, night.readings, { alerts: true });
          addNight(totals[i] as Totals, judgeNight(night, r, g.zone.id));
        });
      });
    }
    configs.forEach(({ v }, i) => {
      const t = totals[i] as Totals;
      const { leads: _leads, ...rest } = t;
      results.push({ mix: mix.name, variant: v.name, figures: figures(t), totals: rest });
    });
  }
  return results;
}

function main(): void {
  const siteFile = resolve(arg('site') ?? join(REPO, 'bench', 'detect', 'site.yaml'));
  let params = DEFAULT_PARAMS;
  const pf = arg('params');
  if (pf) params = mergeParams(params, readJson(pf));
  const months = arg('months');
  if (months) params = { ...params, months: Number(months) };
  let variants = [...VARIANTS];
  const vf = arg('variants');
  if (vf) {
    const extra = readJson(vf) as Record<string, Variant['detection']>;
    variants.push(
      ...Object.entries(extra).map(([name, detection]) => ({ name, why: `from ${vf}`, detection })),
    );
  }
  const only = arg('only');
  if (only) variants = variants.filter((v) => only.split(',').includes(v.name));
  const mixName = arg('mix');
  const mixes = mixName ? MIXES.filter((m) => mixName.split(',').includes(m.name)) : MIXES;
  if (mixes.length === 0 || variants.length === 0) {
    process.stderr.write(
      `no such mix or variant; mixes: ${MIXES.map((m) => m.name).join(' ')}; variants: ${VARIANTS.map((v) => v.name).join(' ')}\n`,
    );
    process.exitCode = 64;
    return;
  }
  const seed = Number(arg('seed') ?? 19);
  const started = Date.now();
  const zone = arg('zone');
  const results = runBench({ siteFile, params, variants, mixes, seed, ...(zone ? { zone } : {}) });
  const seconds = (Date.now() - started) / 1000;
  say(formatTable(results, params));
  say(
    `\n${params.months} month(s) × ${params.nights_per_month} nights per mix, seed ${seed}, ${seconds.toFixed(1)} s`,
  );
  const out = arg('out') ?? join(REPO, 'bench', 'results', 'detect-latest.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        machine: {
          cpu: cpus()[0]?.model ?? 'unknown',
          node: process.version,
          date: new Date().toISOString(),
        },
        seed,
        seconds,
        site: siteFile.replace(`${REPO}/`, ''),
        params,
        mixes,
        variants,
        results,
      },
      null,
      2,
    )}\n`,
  );
  say(`wrote ${out.replace(`${REPO}/`, '')}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
