import { readdirSync, readFileSync } from 'node:fs';

/**
 * What a process costs, read from /proc/<pid> the way `top` does: CPU seconds (utime + stime of
 * /proc/<pid>/stat, in clock ticks) and resident memory (VmRSS of /proc/<pid>/status).
 */

/** Clock ticks per second: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLK_TCK = 100;

/** CPU seconds the process has used so far (user + system); NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

/** Resident memory in MB; NaN once it is gone. */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU use of `pid` between two calls of the returned function, as % of one core. */
export function cpuMeter(pid: number): () => number {
  let t = performance.now();
  let c = cpuSeconds(pid);
  return () => {
    const t2 = performance.now();
    const c2 = cpuSeconds(pid);
    const pct = ((c2 - c) / ((t2 - t) / 1000)) * 100;
    t = t2;
    c = c2;
    return pct;
  };
}

/** `pid` and every process whose parent it is (PostgreSQL's backends), for a tree's CPU. */
export function withChildren(pid: number): number[] {
  const out = [pid];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU seconds of a process tree (one level of children) so far. */
export function treeCpuSeconds(pid: number): number {
  return withChildren(pid).reduce((s, p) => s + (cpuSeconds(p) || 0), 0);
}
