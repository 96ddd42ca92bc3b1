import { describe, expect, it } from 'vitest';
import { LoginSlots } from '../../src/broker/login-slots.js';

/** Acquires a slot and records when it is granted. */
function request(slots: LoginSlots, address: string, granted: string[], name: string) {
  return slots.acquire(address).then((release) => {
    granted.push(name);
    return release;
  });
}

const tick = () => new Promise((r) => setImmediate(r));

describe('login slots per address', () => {
  it('lets two logins of one address run at once; the third waits its turn', async () => {
    const slots = new LoginSlots(2);
    const granted: string[] = [];
    const a = request(slots, '10.0.0.5', granted, 'a');
    const b = request(slots, '10.0.0.5', granted, 'b');
    const c = request(slots, '10.0.0.5', granted, 'c');
    const d = request(slots, '10.0.0.5', granted, 'd');
    const other = request(slots, '10.0.0.9', granted, 'other');
    await tick();
    expect(granted).toEqual(['a', 'b', 'other']);
    expect(slots.active).toBe(3);
    (await a)();
    await tick();
    expect(granted).toEqual(['a', 'b', 'other', 'c']);
    (await b)();
    (await b)(); // releasing twice frees one slot only
    await tick();
    expect(granted).toEqual(['a', 'b', 'other', 'c', 'd']);
    (await c)();
    (await d)();
    (await other)();
    expect(slots.active).toBe(0);
  });
});
