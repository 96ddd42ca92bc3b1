import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { viewOf } from '../src/util/bytes.js';
import type { SenderInput, SenderResult } from './lora.js';

/**
 * P2's packet forwarder, in a worker thread so the gateway thread is measured alone: sends the
 * prepared PUSH_DATA datagrams with at most `window` not yet PUSH_ACKed (so the kernel's UDP
 * buffers never overflow and falsify the figure). A datagram whose ACK has not come within
 * `stallMs` of the last ACK is counted as dropped and its window slot freed.
 */

function run(input: SenderInput): Promise<SenderResult> {
  const sock = createSocket('udp4');
  const inflight = new Set<number>();
  let next = 0;
  let acked = 0;
  let dropped = 0;
  let lastProgress = performance.now();
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const finish = () => {
      clearInterval(watchdog);
      sock.close();
      resolve({ sent: next, acked, dropped, seconds: (performance.now() - t0) / 1000 });
    };
    const pump = () => {
      while (inflight.size < input.window) {
        const d = input.datagrams[next];
        if (d === undefined) break;
        // Token = bytes 1..2 of the GWMP header; unique among the datagrams in flight.
        inflight.add(viewOf(d).getUint16(1));
        next++;
        sock.send(d, input.port, input.host);
      }
      if (next >= input.datagrams.length && inflight.size === 0) finish();
    };
    sock.on('error', reject);
    sock.on('message', (msg) => {
      // PUSH_ACK: version, token (2 bytes), identifier 0x01.
      if (msg.length < 4 || msg[3] !== 0x01) return;
      const token = msg.readUInt16BE(1);
      if (inflight.delete(token)) {
        acked++;
        lastProgress = performance.now();
        pump();
      }
    });
    const watchdog = setInterval(
      () => {
        if (inflight.size > 0 && performance.now() - lastProgress > input.stallMs) {
          dropped += inflight.size;
          inflight.clear();
          lastProgress = performance.now();
          pump();
        }
      },
      Math.max(5, input.stallMs / 4),
    );
    sock.bind(0, '127.0.0.1', pump);
  });
}

if (parentPort) {
  const port = parentPort;
  port.once('message', () => {
    run(workerData as SenderInput).then(
      (r) => port.postMessage(r),
      (e: unknown) => port.postMessage({ error: String(e) }),
    );
  });
}
