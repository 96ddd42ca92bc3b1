/**
 * At most `perAddress` logins of one address checked at a time; the rest wait their turn (FIFO).
 * Password checks cost CPU (scrypt), so one address must not run many in parallel; waiting instead
 * of refusing lets the nodes behind one access point all log in after a power cut. The queue is
 * bounded by the pending-socket cap per address (connections.ts).
 */
export class LoginSlots {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(private readonly perAddress: number) {}

  /** Resolves with a release function once the address has a free slot. */
  async acquire(address: string): Promise<() => void> {
    const busy = this.running.get(address) ?? 0;
    if (busy >= this.perAddress) {
      await new Promise<void>((resolve) => {
        const queue = this.waiting.get(address) ?? [];
        queue.push(resolve);
        this.waiting.set(address, queue);
      });
    } else {
      this.running.set(address, busy + 1);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release(address);
    };
  }

  /** Logins being checked right now, over all addresses. */
  get active(): number {
    let n = 0;
    for (const count of this.running.values()) n += count;
    return n;
  }

  // A waiter takes over the slot directly, so the count never dips and lets a newcomer jump the queue.
  private release(address: string): void {
    const queue = this.waiting.get(address);
    const next = queue?.shift();
    if (queue?.length === 0) this.waiting.delete(address);
    if (next) {
      next();
      return;
    }
    const busy = (this.running.get(address) ?? 1) - 1;
    if (busy <= 0) this.running.delete(address);
    else this.running.set(address, busy);
  }
}
