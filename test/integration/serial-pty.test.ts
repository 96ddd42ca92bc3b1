import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SerialSource } from '../../drivers/serial/source.js';
import { silentLog as log } from '../helpers/log.js';
import { createPtyPair, type PtyPair, socatAvailable } from '../helpers/socat.js';

async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

if (!socatAvailable()) console.warn('socat not installed: skipping real-pty serial tests (CI has it)');

describe.skipIf(!socatAvailable())('SerialSource on real ptys (socat)', () => {
  let dir: string;
  const ptys: PtyPair[] = [];
  const sources: SerialSource[] = [];

  function source(path: string, onData: (c: Buffer) => void = () => undefined) {
    const events: { kind: 'lost' | 'back'; at: number; detail: string | number }[] = [];
    const s = new SerialSource({
      path,
      baud: 115200,
      log,
      onData,
      onLost: (err) => events.push({ kind: 'lost', at: Date.now(), detail: err }),
      onBack: (ms) => events.push({ kind: 'back', at: Date.now(), detail: ms }),
    });
    sources.push(s);
    return { s, events };
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'siaga-pty-'));
  });

  afterEach(async () => {
    await Promise.all(sources.splice(0).map((s) => s.stop()));
    await Promise.all(ptys.splice(0).map((p) => p.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('bytes written to one end arrive as chunks at the other, both ways', async () => {
    const pty = await createPtyPair(dir);
    ptys.push(pty);
    const atA: Buffer[] = [];
    const atB: Buffer[] = [];
    const a = source(pty.a, (c) => atA.push(Buffer.from(c)));
    const b = source(pty.b, (c) => atB.push(Buffer.from(c)));
    await a.s.start();
    await b.s.start();
    expect(a.s.state().open).toBe(true);

    const frames = '$SG1,pir-07,1234,pir,n=3,bat=3.71*16\n$SG1,btn-pos1,17,btn,p=1*2F\n';
    await b.s.write(Buffer.from(frames));
    await waitFor('frames at a', () => Buffer.concat(atA).length >= frames.length);
    expect(Buffer.concat(atA).toString()).toBe(frames);
    expect(a.s.state().bytes).toBe(frames.length);

    await a.s.write(Buffer.from('ping\n'));
    await waitFor('ping at b', () => Buffer.concat(atB).toString() === 'ping\n');
    expect(a.events).toEqual([]);
  });

  it('R5: adapter disappears (socat killed) → onLost; same link path reappears → onBack and data flows', async () => {
    const first = await createPtyPair(dir);
    ptys.push(first);
    const got: Buffer[] = [];
    const a = source(first.a, (c) => got.push(Buffer.from(c)));
    await a.s.start();
    expect(a.s.state().open).toBe(true);

    const killedAt = Date.now();
    await first.close();
    await waitFor('onLost', () => a.events.some((e) => e.kind === 'lost'));
    const lost = a.events[0];
    expect(lost?.kind).toBe('lost');
    expect(a.s.state().open).toBe(false);

    // Stay unplugged long enough for a few failed open attempts (backoff grows), then re-plug.
    await new Promise((r) => setTimeout(r, 2500));
    expect(a.events.filter((e) => e.kind === 'lost')).toHaveLength(1);
    const second = await createPtyPair(dir);
    ptys.push(second);
    const pluggedAt = Date.now();
    expect(second.a).toBe(first.a);

    await waitFor('onBack', () => a.events.some((e) => e.kind === 'back'));
    const back = a.events.find((e) => e.kind === 'back');
    const backGapMs = (back?.at ?? 0) - pluggedAt;

    const writer = source(second.b);
    await writer.s.start();
    await writer.s.write(Buffer.from('$SG1,pir-07,1235,hb,bat=3.70,rssi=-71*1A\n'));
    await waitFor('data after re-plug', () => Buffer.concat(got).toString().endsWith('*1A\n'));
    const dataGapMs = Date.now() - pluggedAt;

    console.warn(
      `R5 pty re-plug: lost ${(lost?.at ?? 0) - killedAt} ms after kill (${String(lost?.detail)}); ` +
        `onBack ${backGapMs} ms after the pty reappeared (downMs=${String(back?.detail)}); ` +
        `data flowing ${dataGapMs} ms after`,
    );
    expect(backGapMs).toBeLessThan(10_000);
    expect(dataGapMs).toBeLessThan(10_000);
    expect(a.s.state()).toMatchObject({ open: true, reconnects: 1 });
    expect(a.events.map((e) => e.kind)).toEqual(['lost', 'back']);
  });

  it('R5 after a hard crash (SIGKILL leaves a dangling link) the source still recovers', async () => {
    const first = await createPtyPair(dir);
    ptys.push(first);
    const got: Buffer[] = [];
    const a = source(first.a, (c) => got.push(Buffer.from(c)));
    await a.s.start();
    await first.crash();
    await waitFor('onLost', () => a.events.some((e) => e.kind === 'lost'));
    await new Promise((r) => setTimeout(r, 700)); // at least one open attempt on the dangling link
    expect(a.s.state().lastError).toMatch(/open failed/);
    const second = await createPtyPair(dir);
    ptys.push(second);
    const writer = source(second.b);
    await writer.s.start();
    await waitFor('onBack', () => a.events.some((e) => e.kind === 'back'));
    await writer.s.write(Buffer.from('after crash\n'));
    await waitFor('data after crash', () => Buffer.concat(got).toString() === 'after crash\n');
    expect(a.events.map((e) => e.kind)).toEqual(['lost', 'back']);
  });

  it('a hang-up while data is streaming is still detected (read error or liveness probe)', async () => {
    const pty = await createPtyPair(dir);
    ptys.push(pty);
    let bytes = 0;
    const a = source(pty.a, (c) => {
      bytes += c.length;
    });
    const writer = source(pty.b);
    await a.s.start();
    await writer.s.start();
    let flooding = true;
    const flood = (async () => {
      const line = Buffer.from('$SG1,pir-07,1234,pir,n=3,bat=3.71*16\n'.repeat(20));
      while (flooding) {
        await writer.s.write(line).catch(() => undefined);
        await new Promise((r) => setImmediate(r)); // a failing write rejects at once: let timers run
      }
    })();
    await waitFor('streaming', () => bytes > 10_000);
    const killedAt = Date.now();
    await pty.close();
    await waitFor('onLost', () => a.events.some((e) => e.kind === 'lost'), 5000);
    flooding = false;
    await flood;
    const lostMs = (a.events[0]?.at ?? 0) - killedAt;
    console.warn(`hang-up while streaming: lost after ${lostMs} ms (${String(a.events[0]?.detail)})`);
    expect(lostMs).toBeLessThan(3000);
  });

  it('start() on a path that does not exist yet resolves, then opens when the pty appears', async () => {
    const a = source(join(dir, 'a'));
    await a.s.start();
    expect(a.s.state().open).toBe(false);
    expect(a.events.map((e) => e.kind)).toEqual(['lost']);
    const pty = await createPtyPair(dir);
    ptys.push(pty);
    await waitFor('onBack', () => a.events.some((e) => e.kind === 'back'));
    expect(a.s.state().open).toBe(true);
  });

  it('the socat helper cleans up: links gone and process dead after close()', async () => {
    const pty = await createPtyPair(dir);
    await pty.close();
    await pty.close();
    const { existsSync } = await import('node:fs');
    expect(existsSync(pty.a) || existsSync(pty.b)).toBe(false);
    expect(() => process.kill(pty.pid, 0)).toThrow();
  });
});
