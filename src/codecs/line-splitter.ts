import { Buffer } from 'node:buffer';

const LF = 0x0a;
const CR = 0x0d;

/** What one {@link LineSplitter.push} produced. */
export interface SplitResult {
  /** Complete lines, without `\n` and without a `\r` before it, decoded as latin1. */
  lines: string[];
  /** Lines over the byte limit that were discarded (each counted once). */
  tooLong: number;
}

/**
 * Frames a serial byte stream into lines (docs/wire.md §1). Lines end at `\n`; a `\r` before it is
 * dropped. A line longer than `maxBytes` (not counting its `\r\n`) is discarded up to the next
 * `\n` and counted once in `tooLong`, so noise or a wrong baud rate cannot grow memory: at most
 * `maxBytes + 1` bytes of an unfinished line are held (the `+ 1` is a possible `\r`).
 *
 * Lines are decoded as latin1: one char per byte, so checksums and lengths downstream are over
 * the bytes as sent, and bytes ≥ 0x80 reach the parser intact (and are refused there), never
 * replaced. Empty lines are returned too; the parser counts them as `empty`.
 */
export class LineSplitter {
  private readonly pending: Buffer;
  private pendingLen = 0;
  /** Inside an over-long line that was already counted: drop bytes up to the next `\n`. */
  private discarding = false;

  constructor(private readonly maxBytes = 256) {
    this.pending = Buffer.alloc(maxBytes + 1);
  }

  /** Bytes of an unfinished line held since the last `\n` (for tests and status). */
  get pendingBytes(): number {
    return this.pendingLen;
  }

  /** Forgets an unfinished line, e.g. after the port was reopened: its tail will not follow. */
  reset(): void {
    this.pendingLen = 0;
    this.discarding = false;
  }

  /** Feeds the next chunk as read from the port; returns the lines it completed. */
  push(chunk: Buffer): SplitResult {
    const lines: string[] = [];
    let tooLong = 0;
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(LF, start);
      if (nl === -1) {
        if (!this.discarding) {
          const n = chunk.length - start;
          if (this.pendingLen + n > this.maxBytes + 1) {
            this.discarding = true;
            this.pendingLen = 0;
            tooLong++;
          } else {
            chunk.copy(this.pending, this.pendingLen, start);
            this.pendingLen += n;
          }
        }
        break;
      }
      if (this.discarding) {
        this.discarding = false;
      } else {
        const line = this.finish(chunk, start, nl);
        if (line === undefined) tooLong++;
        else lines.push(line);
      }
      start = nl + 1;
    }
    return { lines, tooLong };
  }

  /** Completes the line made of the pending bytes and `chunk[start, end)`; undefined when too long. */
  private finish(chunk: Buffer, start: number, end: number): string | undefined {
    const held = this.pendingLen;
    this.pendingLen = 0;
    let total = held + end - start;
    const last = end > start ? chunk[end - 1] : this.pending[held - 1];
    if (total > 0 && last === CR) total--;
    if (total > this.maxBytes) return undefined;
    if (held === 0) return chunk.toString('latin1', start, start + total);
    if (total <= held) return this.pending.toString('latin1', 0, total);
    // The line is split across chunks: decode both parts without copying the whole chunk.
    return this.pending.toString('latin1', 0, held) + chunk.toString('latin1', start, start + total - held);
  }
}
