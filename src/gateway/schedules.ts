import type { Config } from '../config/schema.js';
import type { SirenController } from '../sirens/controller.js';
import type { Counters } from './counters.js';
import type { CronTask } from './cron.js';
import {
  type Job,
  type JobDeps,
  loraRejectedReporter,
  runPrune,
  runSummary,
  StatusSnapshot,
  scheduleJobs,
} from './jobs.js';
import type { NodeTracker } from './node-tracker.js';
import type { Storage } from './storage.js';
import type { Uplink } from './uplink-wiring.js';

export interface ScheduleParts extends Omit<JobDeps, 'db' | 'writer' | 'runLog'> {
  storage: Storage;
  tracker: NodeTracker;
  sirens: SirenController;
  uplink: Uplink;
  counters: Counters;
  status: () => Record<string, unknown>;
  /** Runs every second: the engine's tick (levels step down) and the clock watch. */
  tick: () => void;
}

/**
 * The gateway's timers: the one-second tick, and the cron table (docs/behaviour.md §Schedules)
 * in the site's time zone, not the system's (most Pi images run in UTC). A reload replaces the
 * cron table; the tick stays.
 */
export class Schedules {
  /** The status snapshot `siaga status` shows while the gateway is down. */
  private readonly snapshot: StatusSnapshot;
  private readonly reportLoraRejected: () => void;
  private readonly ticker: NodeJS.Timeout;
  private readonly jobDeps: JobDeps;
  private tasks: CronTask[];

  constructor(
    config: Config,
    private readonly p: ScheduleParts,
  ) {
    const { db, writer, runLog } = p.storage;
    this.jobDeps = { db, writer, runLog, clock: p.clock, events: p.events, log: p.log };
    this.snapshot = new StatusSnapshot(this.jobDeps, p.status);
    p.storage.participants.push(this.snapshot);
    this.reportLoraRejected = loraRejectedReporter(p.counters, p.events);
    this.ticker = setInterval(p.tick, 1000);
    this.ticker.unref();
    this.tasks = this.schedule(config);
  }

  /** Saves the status snapshot at once (a stop). */
  saveStatus(): void {
    this.snapshot.now();
  }

  async reconfigure(next: Config): Promise<void> {
    await this.stopTasks();
    this.tasks = this.schedule(next);
  }

  async stop(): Promise<void> {
    clearInterval(this.ticker);
    await this.stopTasks();
  }

  private async stopTasks(): Promise<void> {
    for (const t of this.tasks) t.stop();
  }

  private schedule(c: Config): CronTask[] {
    const { p, jobDeps } = this;
    const table: Job[] = [
      {
        name: 'node_check',
        cron: c.schedules.node_check,
        run: () => {
          for (const s of p.tracker.checkOffline(p.clock.now())) p.storage.writer.touchNode(s);
        },
      },
      {
        name: 'heartbeat',
        cron: c.schedules.heartbeat,
        run: () => {
          p.uplink.publishStatus();
          this.snapshot.later();
          this.reportLoraRejected();
        },
      },
      { name: 'self_test', cron: c.schedules.self_test, run: () => p.sirens.selfTest() },
      {
        name: 'summary',
        cron: c.schedules.summary,
        run: () => p.uplink.publishSummary(runSummary(jobDeps, c)),
      },
      { name: 'prune', cron: c.schedules.prune, run: () => runPrune(jobDeps, c) },
    ];
    return scheduleJobs(table, c.gateway.site.tz, p.log.child({ c: 'jobs' }));
  }
}
