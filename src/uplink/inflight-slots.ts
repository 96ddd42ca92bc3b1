import { Readable } from 'node:stream';
import type { IStore } from 'mqtt';

type Packet = Parameters<IStore['put']>[0];
type Stream = ReturnType<IStore['createStream']>;

/**
 * MQTT.js's packet ids and its store of unacknowledged publishes, for one connection, kept where
 * a busy uplink makes no garbage that outlives a moment (bench/README.md, "Memory round 10").
 *
 * MQTT.js's defaults start the ids at a random number and count up to 65,535, and keep the
 * publishes in a Map: the client's own table of callbacks by id (an object) then holds a few
 * scattered large integer keys, which V8 keeps as a hash table, and both it and the Map are
 * rebuilt in the old generation every few PUBACKs at 1,000 publishes a second. Here the lowest
 * free id is taken (MQTT 3.1.1 §2.3.1: an id is free again once its PUBACK came), so the ids in
 * use stay within the in-flight window, and the store is an array indexed by id.
 */

/** MQTT.js's `IMessageIdProvider` (not exported by its package). */
export interface MessageIdProvider {
  allocate(): number | null;
  getLastAllocated(): number | null;
  register(id: number): boolean;
  deallocate(id: number): void;
  clear(): void;
}

const MAX_ID = 65_535;

export class LowestFreeIds implements MessageIdProvider {
  private readonly used = new Uint8Array(MAX_ID + 1);
  private last: number | null = null;
  /** No id below this is free. */
  private low = 1;

  allocate(): number | null {
    for (let id = this.low; id <= MAX_ID; id++) {
      if (this.used[id] === 0) {
        this.used[id] = 1;
        this.last = id;
        this.low = id + 1;
        return id;
      }
    }
    this.low = MAX_ID + 1;
    return null;
  }

  getLastAllocated(): number | null {
    return this.last;
  }

  register(id: number): boolean {
    if (id < 1 || id > MAX_ID || this.used[id] === 1) return false;
    this.used[id] = 1;
    return true;
  }

  deallocate(id: number): void {
    if (id < 1 || id > MAX_ID) return;
    this.used[id] = 0;
    if (id < this.low) this.low = id;
  }

  clear(): void {
    this.used.fill(0);
    this.last = null;
    this.low = 1;
  }
}

type Callback = (err?: Error, packet?: Packet) => void;

/** The unacknowledged publishes by packet id; `createStream` gives them in the order they were put. */
export class SlotStore implements IStore {
  private slots: (Packet | undefined)[] = [];
  private order: number[] = [];
  private putCount = 0;

  put(packet: Packet, cb?: () => void): this {
    const id = idOf(packet);
    this.slots[id] = packet;
    this.order[id] = ++this.putCount;
    cb?.();
    return this;
  }

  get(packet: Pick<Packet, 'messageId'>, cb?: Callback): this {
    const stored = this.slots[idOf(packet)];
    if (stored) cb?.(undefined, stored);
    else cb?.(new Error('missing packet'));
    return this;
  }

  del(packet: Pick<Packet, 'messageId'>, cb?: Callback): this {
    const id = idOf(packet);
    const stored = this.slots[id];
    if (stored) {
      this.slots[id] = undefined;
      cb?.(undefined, stored);
    } else cb?.(new Error('missing packet'));
    return this;
  }

  createStream(): Stream {
    const held: { packet: Packet; at: number }[] = [];
    this.slots.forEach((packet, id) => {
      if (packet) held.push({ packet, at: this.order[id] ?? 0 });
    });
    held.sort((a, b) => a.at - b.at);
    // Node's own Readable: the same interface as the readable-stream one MQTT.js's types name.
    return Readable.from(held.map((h) => h.packet)) as unknown as Stream;
  }

  close(cb?: () => void): void {
    this.slots = [];
    this.order = [];
    cb?.();
  }
}

function idOf(packet: Pick<Packet, 'messageId'>): number {
  return (packet as { messageId?: number }).messageId ?? 0;
}
