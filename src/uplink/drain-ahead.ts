import type { Outbox, OutboxReadingJson, ReadingsPack } from '../store/outbox.js';
import { errorMessage } from '../util/errors.js';

/** What the read-ahead reads: readings one by one, and packs whole where the outbox has them. */
export type AheadSource = Pick<Outbox, 'nextReadingsJson'> & Partial<Pick<Outbox, 'nextReadingsPack'>>;

export interface ReadAheadDeps {
  outbox: AheadSource;
  /** The highest readings row in flight (0: none): the next page is read after it. */
  cursor(): number;
  /** Whether a prefetch may run now (the drain is not pumping and the link is up). */
  canPrefetch(): boolean;
  noteError(message: string): void;
  /** The most bytes a pack's body may have to go as one batch within `uplink.batch.max_bytes`. */
  packBudget: number;
}

/**
 * Readings read past the drain's cursor and not sent yet, oldest first: readings one by one, and
 * after them at most one pack taken whole (store/outbox-packs.ts), which goes as its own batch.
 * The next page is read while the batches before it are in flight, so a PUBACK is answered by a
 * publish at once, and while a full page waits for a slot no query runs at all.
 */
export class ReadAhead {
  private readings: OutboxReadingJson[] = [];
  private packed: ReadingsPack | undefined;
  private prefetchScheduled = false;

  constructor(private readonly deps: ReadAheadDeps) {}

  /** The readings read one by one (they go before the pack). */
  get rows(): OutboxReadingJson[] {
    return this.readings;
  }

  /** The pack after them, when one was read. */
  get pack(): ReadingsPack | undefined {
    return this.packed;
  }

  /** How many readings are read ahead, the pack's included. */
  get count(): number {
    const pack = this.packed;
    return this.readings.length + (pack === undefined ? 0 : pack.hi - pack.lo + 1);
  }

  clear(): void {
    this.readings = [];
    this.packed = undefined;
  }

  /** The first `count` readings read one by one were published; without any, the pack was. */
  drop(count: number): void {
    if (this.readings.length > 0) this.readings = this.readings.slice(count);
    else this.packed = undefined;
  }

  /**
   * Reads the next page once MQTT.js has flushed this turn's publishes to the socket (it uncorks
   * on nextTick), so the read overlaps the broker's work.
   */
  soon(max: number): void {
    if (this.prefetchScheduled || this.count >= max) return;
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

  /**
   * Tops up what is read ahead to `max` readings: a pack starting right after the last one read
   * is taken whole, else readings one by one (which stop before the next pack). Returns `count`.
   */
  fill(max: number): number {
    const cursor = this.deps.cursor();
    // No batch in flight: start again from the oldest queued row (a resend may have queued old ones).
    if (cursor === 0) this.clear();
    if (this.packed !== undefined || this.readings.length >= max) return this.count;
    const after = this.readings.at(-1)?.[0] ?? cursor;
    const { outbox, packBudget } = this.deps;
    this.packed = outbox.nextReadingsPack?.(max, after, packBudget);
    if (this.packed === undefined) {
      const more = outbox.nextReadingsJson(max - this.readings.length, after);
      if (more.length > 0) this.readings = this.readings.length === 0 ? more : this.readings.concat(more);
    }
    return this.count;
  }
}
