import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatLocalTime } from '../../src/util/local-time.js';
import { must } from '../helpers/must.js';

const execFileAsync = promisify(execFile);
const DIST = new URL('../../dist/src/', import.meta.url).href;

/**
 * Node reads TZ once at start, so each system zone needs its own process: this one builds the
 * gateway's cron table from a config (as `siaga run` does, from dist/) and reports what it would do.
 */
const CHILD = `
import { pino } from 'pino';
// ICU's formatting data (~8 MB, resident for good) is paged in by the first Intl formatter: the
// cron table and the site's local days must not need one.
let formatters = 0;
const RealDateTimeFormat = Intl.DateTimeFormat;
Intl.DateTimeFormat = new Proxy(RealDateTimeFormat, { construct(T, args) { formatters++; return new T(...args); } });
const { parseConfig } = await import('${DIST}config/load.js');
const { scheduleJobs } = await import('${DIST}gateway/jobs.js');
const { previousDay } = await import('${DIST}report/local-day.js');
const { parseTime } = await import('${DIST}cli/duration.js');
const config = parseConfig(process.env.CONFIG, process.cwd());
const lines = [];
const log = pino({ level: 'info' }, { write: (l) => lines.push(JSON.parse(l)) });
const now = Date.parse('2026-11-30T18:30:00Z'); // 01:30 WIB on 1 December, still 30 November in UTC
const noop = () => {};
const tasks = scheduleJobs(
  [
    { name: 'summary', cron: config.schedules.summary, run: noop },
    { name: 'prune', cron: config.schedules.prune, run: noop },
    { name: 'self_test', cron: config.schedules.self_test, run: noop },
    { name: 'broken', cron: '* * * * * *', run: () => { throw new Error('disk on fire'); } },
    { name: 'rejects', cron: '* * * * * *', run: async () => { throw new Error('async disk on fire'); } },
  ],
  config.gateway.site.tz,
  log,
);
const next = Object.fromEntries(tasks.slice(0, 3).map((t) => [t.name, t.nextRuns(3)]));
while (!(lines.some((l) => l.job === 'broken') && lines.some((l) => l.job === 'rejects'))) {
  await new Promise((r) => setTimeout(r, 50));
}
for (const t of tasks) t.stop();
process.stdout.write(JSON.stringify({
  next,
  failures: lines.filter((l) => l.job),
  yesterday: previousDay(now, config.gateway.site.tz),
  today: parseTime('today', now, config.gateway.site.tz),
  formatters,
}));
`;

const CONFIG = `
gateway: {id: gw-tz, site: {name: Desa Uji, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}}
storage: {path: ./siaga.db}
nodes: [{id: pir-07, type: pir, zone: z-braja}]
zones: [{id: z-braja, name: Braja}]
`;

interface ChildReport {
  next: Record<string, number[]>;
  failures: { level: number; job: string; msg: string; err: { message: string; stack: string } }[];
  yesterday: string;
  today: number;
  formatters: number;
}

const runs = new Map<string, Promise<{ report: ChildReport; stderr: string }>>();

/** One child per system zone, shared by that zone's tests (the machine has two cores). */
function underSystemZone(tz: string): Promise<{ report: ChildReport; stderr: string }> {
  let run = runs.get(tz);
  if (!run) {
    run = spawnUnder(tz);
    runs.set(tz, run);
  }
  return run;
}

async function spawnUnder(tz: string): Promise<{ report: ChildReport; stderr: string }> {
  const r = await execFileAsync(process.execPath, ['--input-type=module', '-e', CHILD], {
    env: { ...process.env, TZ: tz, CONFIG },
    cwd: new URL('../../', import.meta.url).pathname,
    timeout: 60_000,
  });
  return { report: JSON.parse(r.stdout) as ChildReport, stderr: r.stderr };
}

describe.each(['UTC', 'Asia/Jakarta', 'America/Los_Angeles'])('with the system zone %s', (systemTz) => {
  it('the summary runs at 00:05 WIB, prune at 03:15 WIB, the self-test Mondays 10:00 WIB', async () => {
    const { report } = await underSystemZone(systemTz);
    const wib = (ts: number) => formatLocalTime(ts, 'Asia/Jakarta');
    for (const t of must(report.next.summary, 'next summary runs')) expect(wib(t)).toMatch(/ 00:05 WIB$/);
    for (const t of must(report.next.prune, 'next prune runs')) expect(wib(t)).toMatch(/ 03:15 WIB$/);
    for (const t of must(report.next.self_test, 'next self-test runs')) {
      expect(wib(t)).toMatch(/ 10:00 WIB$/);
      expect(new Date(t + 7 * 3_600_000).getUTCDay()).toBe(1);
    }
  });

  it('neither the cron table nor the local days build an Intl formatter (ICU stays unloaded)', async () => {
    const { report } = await underSystemZone(systemTz);
    expect(report.formatters).toBe(0);
  });

  it('local days follow the site, not the system: yesterday and today at 01:30 WIB', async () => {
    const { report } = await underSystemZone(systemTz);
    expect(report.yesterday).toBe('2026-11-30');
    expect(report.today).toBe(Date.parse('2026-11-30T17:00:00Z'));
  });

  it('a failing job is logged by the gateway logger with its error, never on the console', async () => {
    const { report, stderr } = await underSystemZone(systemTz);
    const broken = must(
      report.failures.find((f) => f.job === 'broken'),
      'a logged failure of job broken',
    );
    expect(broken.level).toBe(40);
    expect(broken.msg).toMatch(/scheduled job broken failed/);
    expect(broken.err.message).toBe('disk on fire');
    expect(broken.err.stack).toMatch(/Error: disk on fire/);
    expect(report.failures.find((f) => f.job === 'rejects')?.err.message).toBe('async disk on fire');
    expect(stderr).not.toMatch(/NODE-CRON/);
  });
});
