import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LowestFreeIds, SlotStore } from '../../src/uplink/inflight-slots.js';

type Stored = Parameters<SlotStore['put']>[0];
const publish = (messageId: number, topic = 't'): Stored =>
  ({ cmd: 'publish', qos: 1, dup: false, retain: false, topic, payload: 'x', messageId }) as Stored;

describe('packet ids: the lowest free one', () => {
  it('counts up from 1 and takes a freed id again before a new one', () => {
    const ids = new LowestFreeIds();
    expect([ids.allocate(), ids.allocate(), ids.allocate()]).toEqual([1, 2, 3]);
    ids.deallocate(2);
    expect(ids.allocate()).toBe(2);
    expect(ids.allocate()).toBe(4);
    expect(ids.getLastAllocated()).toBe(4);
  });

  it('refuses to register an id in use or out of range, and clear frees them all', () => {
    const ids = new LowestFreeIds();
    expect(ids.register(7)).toBe(true);
    expect(ids.register(7)).toBe(false);
    expect(ids.register(0)).toBe(false);
    expect(ids.register(65_536)).toBe(false);
    ids.clear();
    expect(ids.getLastAllocated()).toBeNull();
    expect(ids.register(7)).toBe(true);
    expect(ids.allocate()).toBe(1);
  });

  it('gives null once all 65,535 ids are in use (MQTT.js then refuses the publish)', () => {
    const ids = new LowestFreeIds();
    for (let i = 1; i <= 65_535; i++) expect(ids.allocate()).toBe(i);
    expect(ids.allocate()).toBeNull();
    ids.deallocate(40_000);
    expect(ids.allocate()).toBe(40_000);
  });

  it('never gives an id that is in use, and ids in use stay within the window', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(-1), fc.nat(40)), { maxLength: 300 }), (ops) => {
        const ids = new LowestFreeIds();
        const inUse = new Set<number>();
        for (const op of ops) {
          if (op === -1) {
            const id = ids.allocate() as number;
            expect(inUse.has(id)).toBe(false);
            // The lowest free: every id below it is in use.
            for (let k = 1; k < id; k++) expect(inUse.has(k)).toBe(true);
            inUse.add(id);
          } else if (inUse.has(op)) {
            ids.deallocate(op);
            inUse.delete(op);
          }
        }
        expect(Math.max(0, ...inUse)).toBeLessThanOrEqual(ops.length);
      }),
    );
  });
});

describe('the store of unacknowledged publishes', () => {
  it('gives back what was put by id, and forgets it on del', () => {
    const store = new SlotStore();
    const seen: unknown[] = [];
    store.put(publish(3), () => seen.push('put'));
    store.get({ messageId: 3 }, (err, p) => seen.push(err ?? (p as { messageId: number }).messageId));
    store.del({ messageId: 3 }, (err, p) => seen.push(err ?? (p as { topic: string }).topic));
    store.get({ messageId: 3 }, (err) => seen.push(err?.message));
    store.del({ messageId: 3 }, (err) => seen.push(err?.message));
    expect(seen).toEqual(['put', 3, 't', 'missing packet', 'missing packet']);
  });

  it('streams what is still unacknowledged in the order it was put, whatever the ids', async () => {
    const store = new SlotStore();
    store.put(publish(5, 'a'));
    store.put(publish(2, 'b'));
    store.put(publish(9, 'c'));
    store.del({ messageId: 9 });
    store.put(publish(1, 'd'));
    store.put(publish(9, 'e'));
    const topics: string[] = [];
    for await (const p of store.createStream()) topics.push((p as { topic: string }).topic);
    expect(topics).toEqual(['a', 'b', 'd', 'e']);
  });

  it('is empty after close', async () => {
    const store = new SlotStore();
    store.put(publish(1));
    let closed = false;
    store.close(() => {
      closed = true;
    });
    expect(closed).toBe(true);
    const left: unknown[] = [];
    for await (const p of store.createStream()) left.push(p);
    expect(left).toEqual([]);
  });
});
