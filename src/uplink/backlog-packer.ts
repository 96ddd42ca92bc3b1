import type { Logger } from 'pino';
import type { OutboxPacks } from '../store/outbox-packs.js';
import { errorMessage } from '../util/errors.js';

/** How often the backlog is looked at while the centre is unreachable, ms. */
const PACK_EVERY_MS = 5000;

/**
 * Packs per look: 25 batches of 200 is 5,000 readings, ~6 ms of SQLite on the event loop (the
 * compression runs on libuv's pool), and keeps up with 1,000 readings/s.
 */
const PACKS_PER_LOOK = 25;

export interface BacklogPackerDeps {
  packs: Pick<OutboxPacks, 'pack'>;
  /**
   * The uplink's `batch.max_readings`: a pack is one batch, which the drain sends as it is
   * (store/outbox-packs.ts; packs of five batches measured slower in round 7, bench/README P4).
   */
  batchReadings: number;
  /** Whether the centre is reachable now: while it is, the drain reads the backlog as it is. */
  connected(): boolean;
  log: Logger;
  everyMs?: number;
}

/**
 * While the centre is unreachable, packs the readings backlog a few pages at a time
 * (store/outbox-packs.ts), so the drain after the outage sends instead of formatting. Nothing
 * depends on it: a page not packed is read from the readings as before.
 */
export class BacklogPacker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failing = false;
  packedPages = 0;

  constructor(private readonly deps: BacklogPackerDeps) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.look(), this.deps.everyMs ?? PACK_EVERY_MS);
    this.timer.unref();
  }

  /** Stops looking and waits for a page being packed, so the database can close after it. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One look (the timer's; tests and the bench call it directly). Resolves when it is done. */
  look(): Promise<void> {
    if (this.running || this.deps.connected()) return this.running ?? Promise.resolve();
    this.running = this.deps.packs
      .pack(this.deps.batchReadings, PACKS_PER_LOOK)
      .then((n) => {
        this.packedPages += n;
        if (this.failing) this.deps.log.info('backlog packing works again');
        this.failing = false;
      })
      .catch((e: unknown) => {
        // A full disk: the backlog stays as it is, the drain formats it as before.
        if (!this.failing) this.deps.log.warn({ err: errorMessage(e) }, 'cannot pack the readings backlog');
        this.failing = true;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
