import { settleHeapAfterStart, tuneHeapForGateway } from '../src/gateway/heap.js';
import type { ChildArgs, ChildSample } from './child.js';

// As `siaga run` does, before anything else loads (bench/child.ts starts node with the unit's
// flags and environment): the figures are those of the gateway as systemd runs it.
tuneHeapForGateway();
const { startGateway } = await import('../src/main.js');
const { nullSource, silentLog, sinkStream, siteConfig } = await import('./common.js');

/**
 * P6's and P7's gateway, alone in its own process so /proc/<pid>/status (VmRSS) and
 * /proc/<pid>/stat (utime+stime) measure only it: `node dist-bench/bench/p67-child.js '<json ChildArgs>'`.
 * The bench site (50 nodes, 4 zones, 4 print sirens into a sink), silent log, no control socket,
 * and the database already in `dir` (P6 puts a 24 h backlog there first). Frames come from
 * outside: over a real serial port (a socat pty the parent writes to) or, with `ipcFeed`, as IPC
 * messages handed to the serial callback of a port-less source (no liveness probe). With `bare`
 * the modules are loaded but no gateway is started (the floor: Node and the code).
 * IPC: sends {ready}; answers 'sample' (and 'final', with the uplink's state and the backlog) with
 * memoryUsage/cpuUsage/counts; 'gc' runs a full GC when started with --expose-gc; {line} feeds one
 * line; 'stop' stops the gateway and exits.
 */

const args = JSON.parse(process.argv[2] ?? '{}') as ChildArgs;
if (!args.dir || !process.send) {
  console.error('usage (from bench/p6-memory.js): p67-child.js \'{"dir": …}\'');
  process.exit(2);
}
const send = process.send.bind(process);

const extra = [
  args.serial ? `serial: [{port: ${args.serial}, baud: 115200}]` : '',
  args.uplinkYaml ? `uplink: ${args.uplinkYaml}` : '',
].join('\n');

let feed: ((port: string, chunk: Buffer) => void) | undefined;
const gw = args.bare
  ? undefined
  : await startGateway({
      config: siteConfig({ dir: args.dir, extra }),
      log: silentLog,
      noControl: true,
      sirenOut: sinkStream(),
      ...(args.ipcFeed
        ? {
            serialSources: (onData: (port: string, chunk: Buffer) => void) => {
              feed = onData;
              return [nullSource('/dev/bench-p67')];
            },
          }
        : {}),
    });
// As `siaga run` does once the gateway is ready (src/cli/commands/run.ts; the bare floor too).
setTimeout(settleHeapAfterStart, 100).unref();

process.on('message', (m: unknown) => {
  if (m === 'sample' || m === 'final') {
    // forwarder.state() counts the backlog, which touches the outbox's pages: only at the end.
    const f = m === 'final' ? gw?.forwarder?.state() : undefined;
    const s: ChildSample = {
      mem: process.memoryUsage(),
      cpu: process.cpuUsage(),
      committed: gw?.writer.committedReadings ?? 0,
      ...(m === 'final' && gw ? { backlog: gw.outbox.backlog() } : {}),
      ...(f ? { sentReadings: f.sentReadings, connected: f.connected, reconnects: f.reconnects } : {}),
    };
    send(s);
  } else if (m === 'gc') {
    // Only with --expose-gc (investigations): is what the heap holds live or garbage?
    (globalThis as { gc?: () => void }).gc?.();
    send({ gc: typeof (globalThis as { gc?: unknown }).gc === 'function' });
  } else if (m === 'stop') {
    void (gw ? gw.stop() : Promise.resolve()).then(() => process.exit(0));
  } else if (typeof m === 'object' && m !== null && 'line' in m) {
    feed?.('/dev/bench-p67', Buffer.from(`${String((m as { line: unknown }).line)}\n`, 'latin1'));
  }
});
send({ ready: true });
