import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { startBenchBroker } from '../broker.js';
import { fmtNum, machineInfo, median, removeScratch, round, scratchDir } from '../common.js';
import { type Contender, nodeRed, REPO, siaga } from './contenders.js';
import { buildFloor, type Floor, measureFloor } from './floor.js';
import { type Measured, measure, type Phase, type Script } from './measure.js';

/**
 * `npm run bench:peer`: issue 16's side-by-side. siaga and a Node-RED 4 flow doing the same job
 * (SG1 lines on a pty → parse → SQLite → the centre's Mosquitto, QoS 1), one after the other in
 * one run against one Mosquitto, each driven by the same script (bench/peer/measure.ts). Prints
 * figure | siaga | Node-RED | ratio | target and writes bench/results/peer-latest.json.
 *
 * The machine is shared (load averages of 10 on 2 cores were seen while it was written), so the
 * contenders take turns `--reps` times (siaga, Node-RED, siaga, …) and each figure is the median
 * of a contender's runs; frames lost are summed. Every run's own numbers go to the JSON file.
 *
 * Options: --rate n (frames/s, 1000), --seconds n (15), --quiet-rate n (10; 0 skips the quiet
 * phase), --quiet-seconds n (15), --reps n (3), --only siaga|node-red (one contender; no ratios).
 * Any other rate or length, or --only, writes bench/results/peer-partial.scratch.json instead.
 */

const say = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

function numArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const raw = i >= 0 ? process.argv[i + 1] : undefined;
  if (raw === undefined) return fallback;
  const x = Number(raw);
  if (!Number.isFinite(x) || x < 0) throw new Error(`--${name} wants a number ≥ 0, got "${raw}"`);
  return x;
}

function onlyArg(): Contender[] {
  const i = process.argv.indexOf('--only');
  const raw = i >= 0 ? process.argv[i + 1] : undefined;
  if (raw === undefined) return [siaga, nodeRed];
  if (raw === 'siaga') return [siaga];
  if (raw === 'node-red') return [nodeRed];
  throw new Error(`--only wants siaga or node-red, got "${raw}"`);
}

/** One contender's runs as one: the median of each figure, frames lost summed. */
function combine(runs: Measured[]): Measured | undefined {
  const first = runs[0];
  if (!first) return undefined;
  const med = (f: (m: Measured) => number) => median(runs.map(f));
  const phase = (f: (m: Measured) => Phase | undefined): Phase | undefined => {
    const ps = runs.map(f).filter((x): x is Phase => x !== undefined);
    const p0 = ps[0];
    if (!p0) return undefined;
    const sum = (g: (x: Phase) => number) => ps.reduce((a, x) => a + g(x), 0);
    return {
      rate: p0.rate,
      seconds: p0.seconds,
      sent: sum((x) => x.sent),
      received: sum((x) => x.received),
      lost: sum((x) => x.lost),
      duplicates: sum((x) => x.duplicates),
      p50: median(ps.map((x) => x.p50)),
      p99: median(ps.map((x) => x.p99)),
      max: Math.max(...ps.map((x) => x.max)),
      diskBPerFrame: median(ps.map((x) => x.diskBPerFrame)),
    };
  };
  const quiet = phase((m) => m.quiet);
  return {
    name: first.name,
    version: first.version,
    pid: first.pid,
    startToOnlineMs: med((m) => m.startToOnlineMs),
    rssIdleMb: med((m) => m.rssIdleMb),
    rssPeakMb: med((m) => m.rssPeakMb),
    anonIdleMb: med((m) => m.anonIdleMb),
    anonPeakMb: med((m) => m.anonPeakMb),
    cpuSPer1000: med((m) => m.cpuSPer1000),
    ...(quiet ? { quiet } : {}),
    loaded: phase((m) => m.loaded) ?? first.loaded,
  };
}

function combineFloors(fs: Floor[]): Floor | undefined {
  if (fs.length === 0) return undefined;
  return {
    rssMb: median(fs.map((f) => f.rssMb)),
    anonMb: median(fs.map((f) => f.anonMb)),
    fileMb: median(fs.map((f) => f.fileMb)),
  };
}

/** The floor against the peer's peak: how much of a 0.6 × target is left for siaga's own work. */
function floorLine(f: Floor, p: Measured | undefined): string {
  const head = `Floor (Node with siaga's libraries loaded and opened, nothing running, 5 s after connecting): RSS ${fmtNum(f.rssMb)} MB = private ${fmtNum(f.anonMb)} + files ${fmtNum(f.fileMb)} MB`;
  if (!p) return `${head}.`;
  const target = round(0.6 * p.rssPeakMb, 1);
  return `${head}; ${round(f.rssMb / p.rssPeakMb, 2)} × Node-RED's peak. The ≤ 0.6 × peak target (${fmtNum(target)} MB) leaves ${fmtNum(round(target - f.rssMb, 1))} MB above the floor for siaga's own code and data and the loaded phase.`;
}

interface Row {
  figure: string;
  unit: string;
  siaga?: number | undefined;
  peer?: number | undefined;
  /** siaga ÷ Node-RED. */
  ratio?: number | undefined;
  target: string;
  pass?: boolean | undefined;
}

/** `max` is the highest ratio siaga ÷ peer that meets the target (issue 16). */
function row(
  figure: string,
  unit: string,
  s: number | undefined,
  p: number | undefined,
  target: string,
  max?: number,
): Row {
  const exact = s !== undefined && p !== undefined && p > 0 ? s / p : undefined;
  // Judged unrounded (65.7 against 109.1 MB is 0.602 ×, a miss); shown to three places when two
  // would round a miss onto the target or a pass off it.
  const near = exact !== undefined && max !== undefined && Math.abs(exact - max) < 0.005;
  const ratio = exact === undefined ? undefined : round(exact, near ? 3 : 2);
  const pass = max !== undefined && exact !== undefined ? exact <= max : undefined;
  return { figure, unit, siaga: s, peer: p, ratio, target, pass };
}

function rows(s: Measured | undefined, p: Measured | undefined, script: Script): Row[] {
  const lostTarget = (m: Measured | undefined) => (m ? m.loaded.lost === 0 : undefined);
  const out: Row[] = [
    {
      figure: `frames lost (${fmtNum(script.rate)}/s × ${script.seconds} s)`,
      unit: '',
      siaga: s?.loaded.lost,
      peer: p?.loaded.lost,
      target: '0',
      pass: s ? lostTarget(s) : undefined,
    },
    row('RSS idle after start', 'MB', s?.rssIdleMb, p?.rssIdleMb, '≤ 0.6 × peer', 0.6),
    row('RSS peak during the run', 'MB', s?.rssPeakMb, p?.rssPeakMb, '≤ 0.6 × peer', 0.6),
    row('private memory (RssAnon) idle', 'MB', s?.anonIdleMb, p?.anonIdleMb, ''),
    row('private memory (RssAnon) at the RSS peak', 'MB', s?.anonPeakMb, p?.anonPeakMb, ''),
    row(`written → at the centre p50, ${fmtNum(script.rate)}/s`, 'ms', s?.loaded.p50, p?.loaded.p50, ''),
    row(
      `written → at the centre p99, ${fmtNum(script.rate)}/s`,
      'ms',
      s?.loaded.p99,
      p?.loaded.p99,
      '≤ peer',
      1,
    ),
  ];
  if (s?.quiet || p?.quiet) {
    out.push(
      row(`written → at the centre p50, ${script.quietRate}/s`, 'ms', s?.quiet?.p50, p?.quiet?.p50, ''),
      row(
        `written → at the centre p99, ${script.quietRate}/s`,
        'ms',
        s?.quiet?.p99,
        p?.quiet?.p99,
        '≤ peer',
        1,
      ),
      row(
        `disk bytes written per frame, ${script.quietRate}/s`,
        'B',
        s?.quiet?.diskBPerFrame,
        p?.quiet?.diskBPerFrame,
        '',
      ),
    );
  }
  out.push(
    row('start to online', 'ms', s?.startToOnlineMs, p?.startToOnlineMs, '≤ 0.5 × peer', 0.5),
    row('CPU per 1,000 frames (utime+stime)', 's', s?.cpuSPer1000, p?.cpuSPer1000, ''),
  );
  return out;
}

function cell(x: number | undefined, unit: string): string {
  if (x === undefined) return '–';
  return unit ? `${fmtNum(x)} ${unit}` : fmtNum(x);
}

function table(rs: Row[]): string[] {
  const mark = (r: Row) => (r.pass === undefined ? '' : r.pass ? ' ✓' : ' ✗ misses');
  return [
    '| figure | siaga | Node-RED | ratio | target |',
    '|---|---|---|---|---|',
    ...rs.map(
      (r) =>
        `| ${r.figure} | ${cell(r.siaga, r.unit)} | ${cell(r.peer, r.unit)} | ${r.ratio === undefined ? '–' : `${r.ratio} ×`} | ${r.target}${mark(r)} |`,
    ),
  ];
}

async function main(): Promise<void> {
  const script: Script = {
    rate: numArg('rate', 1000),
    seconds: numArg('seconds', 15),
    quietRate: numArg('quiet-rate', 10),
    quietSeconds: numArg('quiet-seconds', 15),
    drainIdleMs: 20_000,
  };
  const reps = Math.max(1, Math.round(numArg('reps', 3)));
  // Other work on the machine moves every figure here: the 1-min load average goes in the results.
  const loadAtStart = round(loadavg()[0] ?? Number.NaN, 1);
  const contenders = onlyArg();
  const dir = scratchDir('peer-broker');
  const broker = await startBenchBroker(join(dir, 'mosq'));
  const measured = new Map<string, Measured[]>(contenders.map((c) => [c.name, []]));
  const floors: Floor[] = [];
  const started = Date.now();
  buildFloor();
  try {
    for (let r = 1; r <= reps; r++) {
      const f = await measureFloor(broker.url);
      floors.push(f);
      process.stderr.write(`floor (${r}/${reps}): ${JSON.stringify(f)}\n`);
      for (const c of contenders) {
        process.stderr.write(`${c.name} (${r}/${reps}): running…\n`);
        const m = await measure(c, broker.url, script);
        measured.get(c.name)?.push(m);
        process.stderr.write(`${c.name} (${r}/${reps}): ${JSON.stringify(m)}\n`);
      }
    }
  } finally {
    await broker.stop();
    removeScratch(dir);
  }

  const machine = {
    ...machineInfo(),
    loadAverage1m: { start: loadAtStart, end: round(loadavg()[0] ?? Number.NaN, 1) },
  };
  const s = combine(measured.get(siaga.name) ?? []);
  const p = combine(measured.get(nodeRed.name) ?? []);
  const rs = rows(s, p, script);
  say(
    `Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}; siaga ${s?.version ?? '–'}, Node-RED ${p?.version ?? '–'}; median of ${reps} turn${reps === 1 ? '' : 's'} each; load average ${machine.loadAverage1m.start} → ${machine.loadAverage1m.end}`,
  );
  say('');
  for (const l of table(rs)) say(l);
  const floor = combineFloors(floors);
  if (floor) {
    say('');
    say(floorLine(floor, p));
  }

  const resultsDir = join(REPO, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  // Only the issue's script with both contenders replaces the committed results; a shorter or
  // one-sided run (while working on one of them) goes to a scratch file that git ignores.
  const standard = contenders.length === 2 && script.rate === 1000 && script.seconds === 15;
  const out = join(resultsDir, standard ? 'peer-latest.json' : 'peer-partial.scratch.json');
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        machine,
        seconds: round((Date.now() - started) / 1000, 1),
        script,
        reps,
        figures: rs,
        floor,
        floors,
        combined: [s, p].filter((m) => m !== undefined),
        runs: Object.fromEntries(measured),
      },
      null,
      2,
    )}\n`,
  );
  process.stderr.write(`wrote ${out}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:peer failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
