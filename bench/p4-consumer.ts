import { parentPort, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';

/**
 * P4's centre: a subscriber in its own thread (the centre is another machine; parsing 500,000
 * readings on the drain's thread would bill the centre's work to the gateway). Counts distinct
 * reading ids and duplicates on the given topics. Messages: 'count' → {ids, duplicates,
 * messages}; 'reset' → 'ok'; 'pause' / 'resume' → 'ok' (stops / starts reading its socket:
 * Mosquitto queues for it meanwhile); 'stop' → 'stopped'. Sends 'ready' once subscribed.
 */

if (!parentPort) throw new Error('p4-consumer runs as a worker thread');
const port = parentPort;
const { url, topics } = workerData as { url: string; topics: string[] };
const seen = new Set<string>();
let duplicates = 0;
let messages = 0;
const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
client.on('message', (_t, payload) => {
  messages++;
  for (const r of (JSON.parse(payload.toString()) as { readings: { id: string }[] }).readings) {
    if (seen.has(r.id)) duplicates++;
    else seen.add(r.id);
  }
});
await client.subscribeAsync(topics, { qos: 1 });
port.on('message', (m: unknown) => {
  if (m === 'count') port.postMessage({ ids: seen.size, duplicates, messages });
  else if (m === 'reset') {
    seen.clear();
    duplicates = 0;
    messages = 0;
    port.postMessage('ok');
  } else if (m === 'pause' || m === 'resume') {
    if (m === 'pause') client.stream.pause();
    else client.stream.resume();
    port.postMessage('ok');
  } else if (m === 'stop') void client.endAsync().then(() => port.postMessage('stopped'));
});
port.postMessage('ready');
