import type { Logger } from 'pino';
import type { Reading } from '../domain/index.js';
import type { WriterOptions } from './writer-types.js';

/** What a reading held in memory costs, roughly: its JSON plus the object and its ULID/node strings. */
function heldBytes(r: Reading): number {
  return READING_OVERHEAD_BYTES + JSON.stringify(r.v).length + (r.radio ? RADIO_BYTES : 0);
}
/**
 * Measured (node --expose-gc, 20,000 readings in an array): a heartbeat with 23 B of JSON values
 * costs ~293 B of heap, a LoRa reading with 7 B of values and its radio ~297 B.
 */
const READING_OVERHEAD_BYTES = 270;
const RADIO_BYTES = 30;
const DEFAULT_MAX_BYTES_WHILE_FAILING = 16 * 1024 * 1024;

/** The bounds of the writer's options this reads. */
type HoldBounds = Pick<WriterOptions, 'maxPendingWhileFailing' | 'maxBytesWhileFailing'>;

/**
 * The memory bound on the readings a writer holds while the disk refuses writes: rows and
 * estimated bytes, the oldest dropped first and counted. Events are never held to it.
 */
export class HeldReadings {
  /** Readings dropped because the disk refused writes for too long. */
  dropped = 0;
  /** Estimated bytes of the readings held in memory while the disk refuses writes (0 otherwise). */
  bytes = 0;

  constructor(
    private readonly log: Logger,
    private readonly bounds: HoldBounds,
  ) {}

  /** One more reading is held. */
  add(r: Reading): void {
    this.bytes += heldBytes(r);
  }

  /** The disk just started refusing: the readings pending now are held from here on. */
  start(readings: readonly Reading[]): void {
    this.bytes = readings.reduce((n, r) => n + heldBytes(r), 0);
  }

  /** Everything held was committed. */
  clear(): void {
    this.bytes = 0;
  }

  /**
   * Over either bound (rows, bytes), drops the oldest held readings down to 90 % of it, counted:
   * dropping in tenths rather than one by one keeps the warning to one line per tenth.
   * Removes them from `readings` in place and returns them.
   */
  dropOldest(readings: Reading[]): Reading[] {
    const rows = this.bounds.maxPendingWhileFailing ?? 200_000;
    if (readings.length <= rows && this.bytes <= this.maxBytes()) return [];
    const cap = Math.floor(rows * 0.9);
    const maxBytes = this.maxBytes() * 0.9;
    let drop = 0;
    for (const r of readings) {
      if (readings.length - drop <= cap && this.bytes <= maxBytes) break;
      this.bytes -= heldBytes(r);
      drop++;
    }
    if (drop === 0) return [];
    const dropped = readings.splice(0, drop);
    this.dropped += drop;
    this.log.warn(
      {
        dropped: drop,
        dropped_total: this.dropped,
        held: readings.length,
        held_bytes: this.bytes,
      },
      'disk still refuses writes: oldest readings held in memory dropped',
    );
    return dropped;
  }

  private maxBytes(): number {
    return this.bounds.maxBytesWhileFailing ?? DEFAULT_MAX_BYTES_WHILE_FAILING;
  }
}
