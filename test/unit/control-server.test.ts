import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { follow } from '../../src/control/client.js';
import { MAX_STREAM_BUFFER_BYTES } from '../../src/control/protocol.js';
import { ControlServer } from '../../src/control/server.js';
import { rawControlClient } from '../helpers/cli-exit.js';
import { silentLog, tmpDir } from '../helpers/gateway.js';
import { must } from '../helpers/must.js';
import { until } from '../helpers/wait.js';

const rawClient = rawControlClient;

let server: ControlServer | undefined;

interface TailServer {
  path: string;
  /** Set while a client's `tail` stream is open. */
  push?: (item: unknown) => void;
  /** Sends one item down the open stream; fails the test if none is open. */
  feed: (item: unknown) => void;
}

/** A server whose `tail` stream the test feeds by hand through `feed`. */
async function tailServer(): Promise<TailServer> {
  const t: TailServer = {
    path: join(tmpDir(), 'siaga.sock'),
    feed: (item) => must(t.push, 'an open tail stream')(item),
  };
  server = new ControlServer({
    path: t.path,
    log: silentLog,
    handlers: {},
    streams: {
      tail: (_p, send) => {
        t.push = send;
        return () => {
          delete t.push;
        };
      },
    },
  });
  await server.start();
  return t;
}
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('control socket', () => {
  it('refuses method names of Object.prototype instead of crashing, and keeps answering', async () => {
    const path = join(tmpDir(), 'siaga.sock');
    server = new ControlServer({
      path,
      log: silentLog,
      handlers: { status: () => ({ up: true }) },
      streams: { tail: () => () => undefined },
    });
    await server.start();
    const { sock, lines } = await rawClient(path);
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
    names.forEach((method, i) => {
      sock.write(`${JSON.stringify({ id: i + 1, method })}\n`);
    });
    sock.write(`${JSON.stringify({ id: 100, method: 'status', params: 'not an object' })}\n`);
    sock.write(`${JSON.stringify({ id: 101, method: 'status' })}\n`);
    await until('the gateway to answer', () => lines.some((l) => l.id === 101), 10_000);
    for (const [i, method] of names.entries()) {
      expect(lines.find((l) => l.id === i + 1)).toEqual({
        id: i + 1,
        ok: false,
        error: `unknown method ${method}`,
      });
    }
    expect(lines.find((l) => l.id === -1)).toMatchObject({ ok: false, error: 'malformed request' });
    expect(lines.find((l) => l.id === 101)).toEqual({ id: 101, ok: true, result: { up: true } });
    sock.destroy();
  });

  it('answers a failing stream start with an error instead of an unhandled rejection', async () => {
    const path = join(tmpDir(), 'siaga.sock');
    server = new ControlServer({
      path,
      log: silentLog,
      handlers: {},
      streams: {
        tail: () => {
          throw new Error('feed closed');
        },
      },
    });
    await server.start();
    const { sock, lines } = await rawClient(path);
    sock.write(`${JSON.stringify({ id: 7, method: 'tail' })}\n`);
    await until('the gateway to answer', () => lines.length > 0, 10_000);
    expect(lines[0]).toEqual({ id: 7, ok: false, error: 'feed closed' });
    sock.destroy();
  });

  it('drops items for a paused tail client, bounded, and tells it how many it missed', {
    timeout: 90_000,
  }, async () => {
    const t = await tailServer();
    const { sock, lines } = await rawClient(t.path);
    sock.write(`${JSON.stringify({ id: 3, method: 'tail' })}\n`);
    await until('the gateway to answer', () => t.push !== undefined, 10_000);
    sock.pause();
    // 200k readings of ~150 B: 30 MB the gateway used to hold for one paused terminal.
    const total = 200_000;
    const pad = 'x'.repeat(120);
    for (let i = 0; i < total; i++) t.feed({ kind: 'reading', i, pad });
    sock.resume();
    // Once the client has caught up the notice arrives; then one more item marks the end.
    await until('the gateway to answer', () => lines.some((l) => 'missed' in l), 30_000);
    t.feed({ kind: 'reading', i: total, pad });
    await until(
      'the gateway to answer',
      () => lines.some((l) => (l.stream as { i?: number } | undefined)?.i === total),
      30_000,
    );
    const items = lines.filter((l) => 'stream' in l);
    const missed = lines.filter((l) => 'missed' in l).reduce((a, l) => a + (l.missed as number), 0);
    expect(missed).toBeGreaterThan(0);
    expect(items.length - 1 + missed).toBe(total);
    // What was kept for the client is bounded by the buffer, not by how long it was paused.
    const keptBytes =
      (items.length - 1) * JSON.stringify({ id: 3, stream: { kind: 'reading', i: 0, pad } }).length;
    expect(keptBytes).toBeLessThan(4 * MAX_STREAM_BUFFER_BYTES);
    // The notice names the stream and comes before the items that followed it.
    const at = lines.findIndex((l) => 'missed' in l);
    expect(lines[at]).toMatchObject({ id: 3 });
    expect(lines.slice(at + 1).every((l) => 'stream' in l || 'missed' in l)).toBe(true);
    sock.destroy();
  });

  it('siaga tail (the client) hears how many items it missed', { timeout: 90_000 }, async () => {
    const t = await tailServer();
    const ac = new AbortController();
    let items = 0;
    let missed = 0;
    const following = follow(
      t.path,
      'tail',
      {},
      () => items++,
      ac.signal,
      (n) => {
        missed += n;
      },
    );
    await until('the stream to start', () => t.push !== undefined);
    // One synchronous burst: the client cannot read while it lasts, like a paused terminal.
    const total = 100_000;
    for (let i = 0; i < total; i++) t.feed({ kind: 'reading', i, pad: 'y'.repeat(100) });
    await until('the missed notice', () => missed > 0, 30_000);
    t.feed({ kind: 'reading', i: total });
    await until('every item or its count', () => items + missed === total + 1, 30_000);
    ac.abort();
    await following;
    expect(missed).toBeGreaterThan(0);
  });
});
