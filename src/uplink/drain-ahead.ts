import type { Outbox, OutboxReadingJson } from '../store/outbox.js';
import { errorMessage } from '../util/errors.js';

export interface ReadAheadDeps {
  outbox: Pick<Outbox, 'nextReadingsJson'>;
  /** The highest readings row in flight (0: none): the next page is read after it. */
  cursor(): number;
  /** Whether a prefetch may run now (the drain is not pumping and the link is up). */
  canPrefetch(): boolean;
  noteError(message: string): void;
}

/**
 * Readings read past the drain's cursor and not sent yet, oldest first. The next page is read
 * while the batches before it are in flight, so a PUBACK is answered by a publish at once, and
 * while a full page waits for a slot no query runs at all.
 */
export class ReadAhead {
  private rows: OutboxReadingJson[] = [];
  private prefetchScheduled = false;

  constructor(private readonly deps: ReadAheadDeps) {}

  /** What was read ahead (the drain's `cursor` at 0 or a reconnect makes it stale). */
  get current(): OutboxReadingJson[] {
    return this.rows;
  }

  clear(): void {
    this.rows = [];
  }

  /** The first `count` rows leave (they were published); the rest wait for the next batch. */
  drop(count: number): void {
    this.rows = this.rows.slice(count);
  }

  /**
   * Reads the next page once MQTT.js has flushed this turn's publishes to the socket (it uncorks
   * on nextTick), so the read overlaps the broker's work.
   */
  soon(max: number): void {
    if (this.prefetchScheduled || this.rows.length >= max) return;
    this.prefetchScheduled = true;
    setImmediate(() => {
      this.prefetchScheduled = false;
      if (this.deps.cursor() === 0 || !this.deps.canPrefetch()) return;
      try {
        this.fill(max);
      } catch (e) {
        // The next pump reads again and handles the trouble.
        this.deps.noteError(`cannot read outbox: ${errorMessage(e)}`);
      }
    });
  }

  /** The rows read ahead, topped up to `max` from the outbox. */
  fill(max: number): OutboxReadingJson[] {
    const cursor = this.deps.cursor();
    // No batch in flight: start again from the oldest queued row (a resend may have queued old ones).
    if (cursor === 0) this.rows = [];
    if (this.rows.length < max) {
      const more = this.deps.outbox.nextReadingsJson(max - this.rows.length, this.rows.at(-1)?.[0] ?? cursor);
      if (more.length > 0) this.rows = this.rows.length === 0 ? more : this.rows.concat(more);
    }
    return this.rows;
  }
}
