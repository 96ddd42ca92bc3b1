import { readFileSync } from 'node:fs';

/**
 * Resident memory of another process, read from /proc: how every memory figure of the benches is
 * taken (P6, the 1,000 frames/s run), and how bench/peer measures Node-RED the same way.
 * - VmRSS counts every resident page once, shared or not (what `top` shows as RES);
 * - RssAnon is the process's own (heap, stacks, malloc), RssFile the mapped files (mostly the
 *   node binary and native addons, shared with every other node process on the machine);
 * - Pss (smaps_rollup) splits shared pages between the processes that map them.
 */

export interface RssSample {
  /** MB (MiB) */
  rss: number;
  anon: number;
  file: number;
  /** Peak RSS the kernel saw since the process started. */
  hwm: number;
  threads: number;
}

/** A `Key:   123 kB` line of a /proc status-like file, as the number (kB), NaN when absent. */
export function field(text: string, key: string): number {
  const m = new RegExp(`^${key}:\\s*(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

const MB = (kB: number) => Math.round((kB / 1024) * 10) / 10;

/** One reading of /proc/<pid>/status, in MB. */
export function sampleRss(pid: number): RssSample {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    rss: MB(field(s, 'VmRSS')),
    anon: MB(field(s, 'RssAnon')),
    file: MB(field(s, 'RssFile')),
    hwm: MB(field(s, 'VmHWM')),
    threads: field(s, 'Threads'),
  };
}

/** /proc/<pid>/smaps_rollup in MB: proportional set size, all and anonymous/file parts. */
export function samplePss(pid: number): { pss: number; pssAnon: number; pssFile: number } {
  const s = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return { pss: MB(field(s, 'Pss')), pssAnon: MB(field(s, 'Pss_Anon')), pssFile: MB(field(s, 'Pss_File')) };
}

export interface RssWatch {
  /** Stops sampling; the samples taken (RSS in MB), their maximum and median. */
  stop(): { samples: number[]; peak: number; median: number };
}

/** Samples VmRSS every `everyMs` until stopped; a process that ended just stops adding samples. */
export function watchRss(pid: number, everyMs = 250): RssWatch {
  const samples: number[] = [];
  const take = () => {
    try {
      samples.push(sampleRss(pid).rss);
    } catch {
      // the process ended
    }
  };
  take();
  const t = setInterval(take, everyMs);
  return {
    stop: () => {
      clearInterval(t);
      take();
      const sorted = [...samples].sort((a, b) => a - b);
      return {
        samples,
        peak: sorted.at(-1) ?? Number.NaN,
        median: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
      };
    },
  };
}
