import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayEvent, Reading } from '../../src/domain/index.js';
import { LiveFeed } from '../../src/gateway/control-api.js';
import { SseHub } from '../../src/web/sse.js';
import { until } from '../helpers/wait.js';

const reading = (node: string, seq: number): Reading => ({
  id: `${node}-${seq}`,
  node,
  seq,
  type: 'pir',
  ts: 0,
  via: 'serial',
  v: { n: 1 },
  clockOk: true,
});
const event = (i: number, pad = ''): GatewayEvent => ({ id: `e${i}`, ts: i, kind: 'level', fields: { pad } });

/** A hub behind a real HTTP server, the way fastify hands it the response. */
async function served(hub: SseHub): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => hub.add(res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : 0 };
}

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup) f();
  cleanup = [];
});

describe('the SSE hub', () => {
  it('streams events as they come and at most 2 readings a second per node', async () => {
    const t = { now: 0 };
    const feed = new LiveFeed();
    const counted: string[] = [];
    const hub = new SseHub({
      clock: { now: () => t.now },
      subscribe: feed.subscribe,
      count: (n) => counted.push(n),
    });
    hub.start();
    const { server, port } = await served(hub);
    cleanup.push(() => {
      hub.stop();
      server.close();
    });
    let text = '';
    const sock = connect(port, '127.0.0.1', () => sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    sock.setEncoding('utf8');
    sock.on('data', (s: string) => {
      text += s;
    });
    cleanup.push(() => sock.destroy());
    await until('the client is added', () => hub.size === 1);
    // 10 readings of pir-07 in one second (every 100 ms), 1 of seis-03, 1 event.
    for (let i = 0; i < 10; i++) {
      t.now = i * 100;
      feed.publish({ kind: 'reading', reading: reading('pir-07', i) });
    }
    feed.publish({ kind: 'reading', reading: reading('seis-03', 1) });
    feed.publish({ kind: 'event', event: event(1) });
    await until('the event arrived', () => text.includes('"id":"e1"'));
    const pir = [...text.matchAll(/"node":"pir-07","seq":(\d+)/g)].map((m) => Number(m[1]));
    expect(pir).toEqual([0, 5]);
    expect(text).toContain('"node":"seis-03"');
    expect(text).toMatch(/event: hello\n/);
    expect(counted).toEqual([]);
  });

  it('drops a client that stops reading once its unread bytes pass the bound, and counts it', async () => {
    const feed = new LiveFeed();
    const counted: string[] = [];
    const hub = new SseHub({
      clock: { now: () => 0 },
      subscribe: feed.subscribe,
      count: (n) => counted.push(n),
      rules: { maxBufferBytes: 64 * 1024 },
    });
    hub.start();
    const { server, port } = await served(hub);
    cleanup.push(() => {
      hub.stop();
      server.close();
    });
    const sock = connect(port, '127.0.0.1', () => sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    sock.pause(); // a phone gone to sleep: it never reads
    cleanup.push(() => sock.destroy());
    await until('the client is added', () => hub.size === 1);
    const pad = 'x'.repeat(4096);
    // The kernel's socket buffers take a few MB first; 40 MB is far more than they hold.
    for (let i = 0; i < 10_000 && hub.size > 0; i++) {
      feed.publish({ kind: 'event', event: event(i, pad) });
      if (i % 200 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(hub.size).toBe(0);
    expect(hub.dropped).toBe(1);
    expect(counted).toEqual(['sse_dropped']);
  });
});
