import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lcusFrame, RelayBoard, RelaySiren } from '../../drivers/sirens/relay.js';
import { createPtyPair, type PtyPair, socatAvailable } from '../helpers/socat.js';

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function openReader(path: string): Promise<{ port: SerialPort; bytes: () => string }> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: 9600 }, (err) => {
      if (err) reject(err);
      else resolve({ port, bytes: () => Buffer.concat(chunks).toString('hex') });
    });
    port.on('data', (c: Buffer) => chunks.push(c));
  });
}

describe('LCUS frames', () => {
  it('are A0 <ch> <state> <sum>', () => {
    expect(lcusFrame(1, true).toString('hex')).toBe('a00101a2');
    expect(lcusFrame(1, false).toString('hex')).toBe('a00100a1');
    expect(lcusFrame(4, true).toString('hex')).toBe('a00401a5');
  });
});

if (!socatAvailable()) console.warn('socat not installed: skipping the relay siren pty test (CI has it)');

describe.skipIf(!socatAvailable())('relay siren on a real pty pair (socat)', () => {
  let dir: string;
  let pty: PtyPair;
  const closers: (() => Promise<unknown>)[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'siaga-relay-'));
    pty = await createPtyPair(dir);
  });

  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
    await pty.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the exact LCUS bytes for on and off on the configured channel', async () => {
    const reader = await openReader(pty.b);
    closers.push(() => new Promise((r) => reader.port.close(r)));
    const board = new RelayBoard({ path: pty.a, baud: 9600 });
    const siren = new RelaySiren({ id: 's-braja-1', channel: 1, board });
    closers.push(() => siren.close());
    await siren.on();
    await siren.off();
    await waitFor('8 bytes', () => reader.bytes().length >= 16);
    expect(reader.bytes()).toBe('a00101a2a00100a1');
    expect(await siren.check()).toEqual({ on: false, ok: true });

    // A second siren on channel 3 of the same board shares the open port.
    const ch3 = new RelaySiren({ id: 's-ch3', channel: 3, board });
    closers.push(() => ch3.close());
    await ch3.on();
    await waitFor('12 bytes', () => reader.bytes().length >= 24);
    expect(reader.bytes().slice(16)).toBe('a00301a4');
  });

  it('a missing port is a fault, and the driver reopens once the device is back', async () => {
    const siren = new RelaySiren({
      id: 's-r',
      channel: 1,
      board: new RelayBoard({ path: join(dir, 'gone') }),
    });
    closers.push(() => siren.close());
    await expect(siren.on()).rejects.toThrow(/cannot open relay port/);
    expect((await siren.check()).ok).toBe(false);
    // "Re-plug": a pty pair appears at that path.
    const back = await createPtyPair(dir, { names: ['gone', 'other'] });
    closers.push(() => back.close());
    const reader = await openReader(back.b);
    closers.push(() => new Promise((r) => reader.port.close(r)));
    await siren.on();
    await waitFor('4 bytes', () => reader.bytes().length >= 8);
    expect(reader.bytes()).toBe('a00101a2');
  });
});
