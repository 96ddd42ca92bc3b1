import { createSocket } from 'node:dgram';
import { encodeSg1 } from '../src/codecs/sg1.js';
import { startGateway } from '../src/main.js';
import { buildUplinkDatagram } from '../src/sim/lora.js';
import { must } from '../src/util/must.js';
import {
  benchNodes,
  benignValues,
  cycle,
  evidenceValues,
  loraDevices,
  loraYaml,
  nullSource,
  silentLog,
  sinkStream,
  siteConfig,
} from './common.js';

/**
 * P9's gateway, alone in its own process so /proc/<pid>/io counts only its writes:
 * `node dist-bench/bench/p9-child.js <dir> <serial|lora> <quiet|evidence> <routine_delay_ms|default> <readings/s> [outage|local|mqtt://centre]`.
 * Feeds itself `readings/s` readings (SG1 lines through the serial callback, or GWMP datagrams
 * over UDP to its own LoRa port): quiet ones that score nothing, or evidence on every frame.
 * Talks to the parent over IPC: sends {ready} once started, answers 'sample' with the committed
 * count, 'checkpoint' likewise after checkpointing the WAL, exits on 'stop' after stopping the
 * gateway.
 */

const [dir, mode, mix, delayArg, rateArg, uplinkArg] = process.argv.slice(2);
if (
  !dir ||
  (mode !== 'serial' && mode !== 'lora') ||
  (mix !== 'quiet' && mix !== 'evidence') ||
  !process.send
) {
  console.error(
    'usage (from bench/p9-disk.js): p9-child.js <dir> <serial|lora> <quiet|evidence> <routine_delay_ms|default> <readings/s> [outage|local|mqtt://centre]',
  );
  process.exit(2);
}
const send = process.send.bind(process);
const rate = Number(rateArg ?? 10);
const devs = loraDevices();
// outage: a centre configured on a port where nothing listens, as in a week without uplink; a
// URL: the centre's broker, reachable.
const centre =
  uplinkArg === 'outage' ? 'mqtt://127.0.0.1:9' : uplinkArg?.startsWith('mqtt://') ? uplinkArg : '';
const uplink = centre === '' ? '' : `uplink: {url: "${centre}"}\n`;
const config = siteConfig({ dir, extra: `${uplink}${mode === 'lora' ? loraYaml(devs) : ''}` });
if (delayArg !== undefined && delayArg !== 'default')
  config.storage.group_commit.routine_delay_ms = Number(delayArg);

let feed: ((port: string, chunk: Buffer) => void) | undefined;
const gw = await startGateway({
  config,
  log: silentLog,
  noControl: true,
  sirenOut: sinkStream(),
  ports: { gwmp: 0 },
  serialSources: (onData) => {
    feed = onData;
    return [nullSource('/dev/bench-p9')];
  },
});

const nodes = benchNodes();
const udp = createSocket('udp4');
let i = 0;
const timer = setInterval(() => {
  const n = cycle(nodes, i);
  const [type, v] = mix === 'evidence' ? evidenceValues(n.type, i) : benignValues(n.type, i);
  const seq = Math.floor(i / nodes.length) + 1;
  if (mode === 'serial') {
    feed?.('/dev/bench-p9', Buffer.from(`${encodeSg1({ node: n.id, seq, type, v })}\n`, 'latin1'));
  } else {
    const d = cycle(devs, i % nodes.length);
    const a = must(gw.gwmp, 'the GWMP server the bench asked for').address();
    const dg = buildUplinkDatagram(d, { node: d.node, seq, type, v }, seq, {
      gatewayEui: 'aa555a0000000101',
      token: i & 0xffff,
      sf: 9,
    });
    udp.send(dg, a.port, a.host);
  }
  i++;
}, 1000 / rate);

process.on('message', (m: unknown) => {
  if (m === 'sample') send({ committed: gw.writer.committedReadings, fed: i });
  else if (m === 'checkpoint') {
    // What the gateway's own auto-checkpoint does every 4 MiB of WAL: copy each page the WAL
    // holds into the database file once. P9 ends its window with one, so the figure counts every
    // byte a reading costs the card, not only its WAL frames.
    gw.db.pragma('wal_checkpoint(PASSIVE)');
    send({ committed: gw.writer.committedReadings, fed: i });
  } else if (m === 'stop') {
    clearInterval(timer);
    udp.close();
    void gw.stop().then(() => process.exit(0));
  }
});
send({ ready: true });
