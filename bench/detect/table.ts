import { WARN_LEVELS } from './judge.js';
import type { SimParams } from './params.js';
import type { RunResult } from './run.js';

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');

/** The results as a Markdown table (what the README shows), one row per mix and variant. */
export function formatTable(results: readonly RunResult[], p: SimParams): string {
  const head = [
    'mix',
    'config',
    ...WARN_LEVELS.map((l) => `D1 ${l} min (median / p10)`),
    'D2 missed / reached (off-trail)',
    'D3 false sirens /zone/month',
    'D3 child presses /month',
    'D4 siren s/night',
    'D5 false SMS /month',
    'SMS /month',
  ];
  const rows = results.map((r) => {
    const f = r.figures;
    return [
      r.mix,
      r.variant,
      ...WARN_LEVELS.map((l) => `${f1(f.d1[l].median)} / ${f1(f.d1[l].p10)}`),
      `${f.d2} / ${f.herdsReached} (${f.d2OffTrail})`,
      f2(f.d3),
      f2(f.d3manual),
      f1(f.d4),
      f1(f.d5),
      f1(f.smsPerMonth),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [
    line(head),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.map(line),
    '',
    `${p.months} months of ${p.nights_per_month} nights (${p.night.start_h}:00–${p.night.end_h}:00) per mix; the same nights for every config.`,
  ].join('\n');
}
