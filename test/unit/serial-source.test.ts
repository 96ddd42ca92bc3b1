import { afterEach, describe, expect, it } from 'vitest';
import { SerialSource, type Timers } from '../../drivers/serial/source.js';
import type { Clock } from '../../src/domain/index.js';
import { SerialError } from '../../src/domain/index.js';
import { FakeSerialBinding } from '../fakes/serial-binding.js';
import { silentLog as log } from '../helpers/log.js';

const PATH = '/dev/serial/by-id/usb-FTDI_RS485-if00-port0';

/** Lets MockBinding's nextTicks and promise chains settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** Virtual time: timers fire only when the test advances the clock. */
class ManualTimers implements Timers, Clock {
  private t = 1_000_000;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  /** Every delay ever requested, in order. */
  readonly requested: number[] = [];

  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + ms, fn });
    this.requested.push(ms);
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  get count(): number {
    return this.pending.size;
  }
  /** Moves time forward, firing due timers in order and letting their effects settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.pending) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.pending.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

function setup(opts: { probeMs?: number } = {}) {
  const binding = new FakeSerialBinding();
  const timers = new ManualTimers();
  const events: string[] = [];
  const chunks: Buffer[] = [];
  const lost: string[] = [];
  const back: number[] = [];
  const source = new SerialSource({
    path: PATH,
    baud: 9600,
    log,
    binding,
    timers,
    clock: timers,
    probeMs: opts.probeMs ?? 0,
    onData: (c) => {
      chunks.push(Buffer.from(c)); // the source reuses its read buffer
      events.push('data');
    },
    onLost: (e) => {
      lost.push(e);
      events.push('lost');
    },
    onBack: (ms) => {
      back.push(ms);
      events.push('back');
    },
  });
  sources.push(source);
  return { binding, timers, source, events, chunks, lost, back };
}

const sources: SerialSource[] = [];
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()));
});

describe('SerialSource with a fake binding', () => {
  it('emits raw chunks from an open port and counts bytes', async () => {
    const { binding, source, chunks, lost } = setup();
    binding.plug(PATH);
    await source.start();
    binding.emitData(PATH, '$SG1,pir-07,1234,pir,n=3,bat=3.71*16\n$SG1,');
    await settle();
    expect(Buffer.concat(chunks).toString()).toBe('$SG1,pir-07,1234,pir,n=3,bat=3.71*16\n$SG1,');
    expect(lost).toEqual([]);
    expect(source.state()).toMatchObject({ path: PATH, open: true, reconnects: 0, bytes: 42 });
    expect(source.state()).not.toHaveProperty('lastError');
  });

  it('open failure: onLost once per outage, backoff 0.5 s doubling to a 5 s cap, onBack when it opens', async () => {
    const { binding, timers, source, events, lost, back } = setup();
    await source.start(); // resolves although the device is absent
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatch(/open failed: ENOENT/);
    expect(source.state()).toMatchObject({ open: false, reconnects: 0 });
    expect(source.state().lastError).toMatch(/ENOENT/);

    await timers.advance(30_000);
    expect(timers.requested.slice(0, 9)).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000, 5000, 5000]);
    expect(Math.max(...timers.requested)).toBeLessThanOrEqual(5000);
    expect(lost).toHaveLength(1);
    expect(binding.attempts.length).toBeGreaterThan(8);
    expect(binding.attempts.every((a) => a.path === PATH && !a.ok)).toBe(true);

    // The device returns; the next attempt (≤ 5 s later) opens it.
    binding.plug(PATH);
    const pluggedAt = timers.now();
    await timers.advance(5000);
    expect(back).toHaveLength(1);
    expect(binding.attempts.at(-1)).toEqual({ path: PATH, ok: true });
    const openedAt = source.state().since;
    expect(openedAt - pluggedAt).toBeLessThanOrEqual(5000);
    expect(back[0]).toBe(openedAt - 1_000_000);
    expect(source.state()).toMatchObject({ open: true, reconnects: 1 });
    expect(events).toEqual(['lost', 'back']);

    binding.emitData(PATH, 'hello');
    await settle();
    expect(events).toEqual(['lost', 'back', 'data']);
  });

  it('a port that hangs up while open: onLost, retries the same path, onBack, data flows again', async () => {
    const { binding, timers, source, events, chunks, lost, back } = setup();
    binding.plug(PATH);
    await source.start();
    binding.emitData(PATH, 'one\n');
    await settle();

    binding.unplug(PATH);
    await settle();
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatch(/read failed: EIO/);
    expect(binding.handle(PATH)?.isOpen).toBe(false); // the dead port was closed
    expect(source.state().open).toBe(false);

    await timers.advance(20_000);
    expect(lost).toHaveLength(1);

    binding.plug(PATH);
    await timers.advance(5000);
    expect(back).toHaveLength(1);
    expect(back[0]).toBeGreaterThanOrEqual(20_000);
    binding.emitData(PATH, 'two\n');
    await settle();
    expect(Buffer.concat(chunks).toString()).toBe('one\ntwo\n');
    expect(events).toEqual(['data', 'lost', 'back', 'data']);
    expect(source.state()).toMatchObject({ open: true, reconnects: 1, bytes: 8 });
    expect(source.state().lastError).toMatch(/ENOENT/); // the latest failure: the last open attempt
  });

  it('a silent hang-up (reads never return) is caught by the liveness probe', async () => {
    const { binding, timers, source, lost, back } = setup({ probeMs: 1000 });
    binding.plug(PATH);
    await source.start();
    await timers.advance(3000); // healthy probes reschedule themselves
    expect(lost).toEqual([]);

    binding.unplug(PATH, 'silent');
    await timers.advance(1000);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatch(/probe failed: EIO/);
    binding.plug(PATH);
    await timers.advance(1000);
    expect(back).toHaveLength(1);
  });

  it('stop() during backoff cancels the retry and nothing happens afterwards', async () => {
    const { binding, timers, source, lost } = setup();
    await source.start();
    await timers.advance(2000);
    const attempts = binding.attempts.length;
    await source.stop();
    expect(timers.count).toBe(0);
    binding.plug(PATH);
    await timers.advance(60_000);
    expect(binding.attempts.length).toBe(attempts);
    expect(lost).toHaveLength(1);
    expect(source.state().open).toBe(false);
  });

  it('stop() closes an open port without reporting a loss; start() after stop() rejects', async () => {
    const { binding, timers, source, lost } = setup({ probeMs: 1000 });
    binding.plug(PATH);
    await source.start();
    await source.stop();
    await source.stop(); // idempotent
    expect(binding.handle(PATH)?.isOpen).toBe(false);
    expect(lost).toEqual([]);
    expect(timers.count).toBe(0);
    await expect(source.start()).rejects.toBeInstanceOf(SerialError);
  });

  it('stop() while an open is in flight closes the port it gets', async () => {
    const { binding, source } = setup();
    binding.plug(PATH);
    const started = source.start();
    await source.stop();
    await started;
    expect(binding.handle(PATH)?.isOpen).toBe(false);
  });

  it('a throwing onData does not stop the source', async () => {
    const binding = new FakeSerialBinding();
    binding.plug(PATH);
    let calls = 0;
    const source = new SerialSource({
      path: PATH,
      baud: 9600,
      log,
      binding,
      probeMs: 0,
      onData: () => {
        calls++;
        throw new Error('consumer bug');
      },
      onLost: () => undefined,
      onBack: () => undefined,
    });
    sources.push(source);
    await source.start();
    binding.emitData(PATH, 'a');
    await settle();
    binding.emitData(PATH, 'b');
    await settle();
    expect(calls).toBe(2);
    expect(source.state().open).toBe(true);
  });

  it('write() goes to the open port in order and rejects during an outage', async () => {
    const { binding, source } = setup();
    binding.plug(PATH);
    await source.start();
    await Promise.all([source.write(Buffer.from('ab')), source.write(Buffer.from('cd'))]);
    expect(binding.written(PATH).toString()).toBe('abcd');
    binding.unplug(PATH);
    await settle();
    await expect(source.write(Buffer.from('x'))).rejects.toMatchObject({
      code: 'serial',
      reason: 'not_open',
    });
  });

  it('a port that flaps (opens then dies at once) keeps escalating the backoff', async () => {
    const { binding, timers, source, lost, back } = setup();
    binding.plug(PATH);
    await source.start();
    for (let i = 0; i < 4; i++) {
      binding.unplug(PATH);
      binding.plug(PATH);
      await timers.advance(5000);
    }
    expect(timers.requested).toEqual([500, 1000, 2000, 4000]);
    expect(lost).toHaveLength(4);
    expect(back).toHaveLength(4);
  });
});
