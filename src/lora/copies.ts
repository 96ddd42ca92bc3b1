import type { Hearing } from './heard.js';

/**
 * Copies of one uplink heard by several forwarders arrive within milliseconds of each other. A
 * reply (JoinAccept, ACK, LinkCheckAns) waits `delayMs` for them, so it goes out once, through the
 * forwarder that heard best, and LinkCheckAns can count them. RX1 opens a second after the uplink
 * (five for a join), so a short wait costs nothing.
 */
export class Copies {
  private readonly pending = new Map<
    string,
    { list: Hearing[]; fire?: (copies: Hearing[]) => void; timer: NodeJS.Timeout }
  >();

  constructor(private readonly delayMs: number) {}

  /** Adds a hearing; true when `key` was already collecting (this one is a copy). */
  add(key: string, h: Hearing): boolean {
    const p = this.pending.get(key);
    if (p !== undefined) {
      p.list.push(h);
      return true;
    }
    const timer = setTimeout(() => {
      const done = this.pending.get(key);
      this.pending.delete(key);
      done?.fire?.([...done.list].sort((a, b) => b.snr - a.snr));
    }, this.delayMs);
    timer.unref();
    this.pending.set(key, { list: [h], timer });
    return false;
  }

  /** Adds a copy to a reply that is collecting; false (nothing kept) when none is. */
  addIfPending(key: string, h: Hearing): boolean {
    const p = this.pending.get(key);
    if (p === undefined) return false;
    p.list.push(h);
    return true;
  }

  /** What to do with the copies, best SNR first, once the wait is over. */
  whenDone(key: string, fire: (copies: Hearing[]) => void): void {
    const p = this.pending.get(key);
    if (p !== undefined) p.fire = fire;
  }

  /** Drops every pending reply (shutdown). */
  clear(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }
}
