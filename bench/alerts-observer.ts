import { watch } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';
import type { Observed, ObserverInput } from './alerts-site.js';

/**
 * The alerts benches' observer, in its own thread so that what it timestamps does not wait for
 * the gateway's event loop: inotify (fs.watch) on gammu-smsd's outbox, where a message becomes
 * visible to the daemon at its rename, and on sent/ when a daemon runs, and the centre's QoS 1 subscription to …/cap (a CAP
 * document reaches a subscriber only once Mosquitto has it, i.e. has PUBACKed the gateway).
 */

const hr = (): number => Number(process.hrtime.bigint()) / 1e6;
const post = (o: Observed) => parentPort?.postMessage(o);

async function run(input: ObserverInput): Promise<void> {
  const folders = [
    [input.outbox, 'sms'],
    [input.sent, 'sent'],
  ] as const;
  for (const [dir, kind] of folders) {
    if (!dir) continue;
    const seen = new Set<string>();
    watch(dir, (_event, name) => {
      const at = hr();
      // Only the rename makes a message: the hidden temp file before it is invisible to gammu-smsd.
      if (typeof name !== 'string' || !name.startsWith('OUT') || seen.has(name)) return;
      seen.add(name);
      post({ kind, name, at });
    });
  }
  if (input.brokerUrl && input.capTopic) {
    const client = await mqtt.connectAsync(input.brokerUrl, {
      clientId: `bench-centre-${process.pid}`,
      reconnectPeriod: 0,
    });
    client.on('message', (_topic, payload) => {
      const at = hr();
      const xml = payload.toString('utf8');
      const msgType = /<msgType>([^<]+)<\/msgType>/.exec(xml)?.[1] ?? '?';
      const zone = /<valueName>SIAGA_ZONE<\/valueName>\s*<value>([^<]+)<\/value>/.exec(xml)?.[1] ?? '?';
      post({ kind: 'cap', msgType, zone, at });
    });
    await client.subscribeAsync(input.capTopic, { qos: 1 });
  }
  // The parent terminates this thread; the watcher and the client go with it.
  post({ kind: 'ready' });
}

run(workerData as ObserverInput).catch((e: unknown) =>
  post({ kind: 'error', message: e instanceof Error ? e.message : String(e) }),
);
