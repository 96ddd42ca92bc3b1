import { performance } from 'node:perf_hooks';
import type { Clock } from '../domain/index.js';
import type { Db } from './db.js';

/**
 * When the gateway was running, so a daily summary covers only that part of a day and never
 * reports a day it did not see as "all quiet" (issue 12.6).
 *
 * Each run of `siaga run` keeps one row in `meta` (`run:<start ms>` → `{start, last, clean}`):
 * `start` when it began, `last` moved forward on every heartbeat (and at a clean stop), so after a
 * power cut or kill -9 the run ends at its last heartbeat: at most one heartbeat interval (1 min by
 * default) of running time is lost, never invented. When the wall clock steps (NTP sync after a
 * boot without RTC, a suspended board) the run continues in a new row from the new time: the
 * monotonic clock tells a step from time passing, so a 1970 start never spans 56 years.
 */
export interface RunSpan {
  from: number;
  to: number;
}

interface RunRow {
  start: number;
  last: number;
  clean?: boolean;
}

/** A wall-clock step larger than this (ms) against the monotonic clock starts a new span. */
const STEP_MS = 30_000;
const KEY_WIDTH = 15;

const runKey = (start: number) => `run:${String(Math.max(0, start)).padStart(KEY_WIDTH, '0')}`;

export class RunLog {
  private row: RunRow | undefined;
  private mono = 0;
  private readonly put;

  constructor(
    db: Db,
    private readonly clock: Clock,
    private readonly monotonic: () => number = () => performance.now(),
  ) {
    this.put = db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    );
  }

  /** The gateway starts running now. */
  begin(): void {
    const now = this.clock.now();
    this.row = { start: now, last: now };
    this.mono = this.monotonic();
    this.write(this.row);
  }

  /** Still running (a heartbeat); a stepped wall clock opens a new span. */
  tick(): void {
    if (!this.row) {
      this.begin();
      return;
    }
    const now = this.clock.now();
    const mono = this.monotonic();
    const expected = this.row.last + (mono - this.mono);
    this.mono = mono;
    if (Math.abs(now - expected) > STEP_MS || now < this.row.start) {
      this.row = { start: now, last: now };
    } else {
      this.row.last = Math.max(this.row.last, now);
    }
    this.write(this.row);
  }

  /** A clean stop: the span ends now. */
  finish(): void {
    this.tick();
    if (this.row) {
      this.row.clean = true;
      this.write(this.row);
    }
  }

  private write(r: RunRow): void {
    try {
      this.put.run(runKey(r.start), JSON.stringify(r));
    } catch {
      // A full or read-only disk must not stop the gateway; the next heartbeat writes the row again.
    }
  }
}

/** The times the gateway was running within [from, to), merged and in order. */
export function runSpans(db: Db, from: number, to: number): RunSpan[] {
  const rows = db.prepare("SELECT value FROM meta WHERE key >= 'run:' AND key < ?").all(runKey(to)) as {
    value: string;
  }[];
  const spans: RunSpan[] = [];
  for (const { value } of rows) {
    let r: RunRow;
    try {
      r = JSON.parse(value) as RunRow;
    } catch {
      continue;
    }
    const a = Math.max(from, r.start);
    const b = Math.min(to, r.last);
    if (b > a) spans.push({ from: a, to: b });
  }
  spans.sort((x, y) => x.from - y.from);
  const merged: RunSpan[] = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s.from <= last.to) last.to = Math.max(last.to, s.to);
    else merged.push({ ...s });
  }
  return merged;
}

/** Milliseconds of [a, b) that fall inside `spans`. */
export function coveredMs(spans: readonly RunSpan[], a: number, b: number): number {
  let ms = 0;
  for (const s of spans) ms += Math.max(0, Math.min(b, s.to) - Math.max(a, s.from));
  return ms;
}
