import { closeSync, constants, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSg1 } from '../src/codecs/sg1.js';
import { createPtyPair, type PtyPair } from '../src/sim/pty.js';
import { openDb } from '../src/store/db.js';
import { startBenchBroker } from './broker.js';
import {
  benchNodes,
  benignValues,
  cycle,
  type Figure,
  removeScratch,
  round,
  scratchDir,
  siteYaml,
  sleep,
} from './common.js';
import { sampleRss, watchRss } from './rss-probe.js';
import { type RunProcess, spawnRun } from './run-process.js';

/**
 * siaga's side of the Node-RED comparison (issue 16; bench/peer runs the peer the same way):
 * `siaga run` as systemd starts it, 50 nodes on a real serial port (a socat pty), uplink to a
 * real Mosquitto. Measured from outside with bench/rss-probe.ts:
 * - idle RSS after start: median of VmRSS every 250 ms over 5 s, from 5 s after it came online;
 * - peak RSS at 1,000 frames/s: SG1 lines written into the pty for 15 s (10 every 10 ms, paced
 *   on the clock), VmRSS every 250 ms from the first frame until the outbox is empty again;
 * - frames lost: lines written − readings in the database after a clean stop, and what is left
 *   in the outbox (0 = every reading PUBACKed by the centre);
 * - start to online: spawn → CONNACK from the centre ('uplink connected'), and to 'gateway ready'.
 * Each once with the unit's memory settings (the figure) and once as `siaga run` by hand.
 */

const RATE = 1000;
const SECONDS = 15;

interface Run {
  idle: number;
  peak: number;
  hwm: number;
  ready: number;
  online: number;
  /** CPU ms used by then (user + system). */
  onlineCpu: number;
  sent: number;
  stored: number;
  backlog: number;
}

function frameLines(count: number, from: number, seqs: Map<string, number>): string {
  const nodes = benchNodes();
  let text = '';
  for (let i = from; i < from + count; i++) {
    const n = cycle(nodes, i);
    const seq = (seqs.get(n.id) ?? 0) + 1;
    seqs.set(n.id, seq);
    const [type, v] = benignValues(n.type, i);
    text += `${encodeSg1({ node: n.id, seq, type, v })}\n`;
  }
  return text;
}

/** Lines into the pty at `rate`/s for `seconds`, in 10 ms slices that catch up with the clock. */
async function feed(pty: PtyPair, rate: number, seconds: number): Promise<number> {
  const fd = openSync(pty.b, constants.O_WRONLY | constants.O_NOCTTY);
  const seqs = new Map<string, number>();
  const t0 = Date.now();
  let sent = 0;
  try {
    while (Date.now() - t0 < seconds * 1000) {
      const due = Math.min(rate * seconds, Math.floor(((Date.now() - t0) / 1000) * rate));
      if (due > sent) {
        writeSync(fd, frameLines(due - sent, sent, seqs), null, 'latin1');
        sent = due;
      }
      await sleep(10);
    }
    const rest = rate * seconds - sent;
    if (rest > 0) writeSync(fd, frameLines(rest, sent, seqs), null, 'latin1');
    return rate * seconds;
  } finally {
    closeSync(fd);
  }
}

function count(dbPath: string): { stored: number; backlog: number } {
  const db = openDb(dbPath, { readonly: true });
  try {
    const stored = (db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n;
    const backlog = (db.prepare('SELECT count(*) AS n FROM outbox_readings').get() as { n: number }).n;
    return { stored, backlog };
  } finally {
    db.close();
  }
}

async function once(dir: string, brokerUrl: string, unit: boolean): Promise<Run> {
  const sub = join(dir, unit ? 'unit' : 'by-hand');
  const pty = await createPtyPair(dir);
  const file = join(dir, `${unit ? 'unit' : 'by-hand'}.yaml`);
  writeFileSync(
    file,
    siteYaml({
      dir: sub,
      logLevel: 'info',
      extra: `serial: [{port: ${pty.a}, baud: 115200}]\nuplink: {url: "${brokerUrl}"}`,
    }),
  );
  let gw: RunProcess | undefined;
  try {
    gw = spawnRun(file, { unit });
    const ready = await gw.ready;
    const online = await gw.online;
    await sleep(5000);
    const idleWatch = watchRss(gw.pid);
    await sleep(5000);
    const idle = idleWatch.stop().median;
    const busy = watchRss(gw.pid);
    const sent = await feed(pty, RATE, SECONDS);
    // Until the gateway has caught up: its own outbox drains within a few seconds.
    await sleep(3000);
    const peak = busy.stop().peak;
    const hwm = sampleRss(gw.pid).hwm;
    await gw.stop();
    const onlineCpu = round(gw.cpuMs.online ?? Number.NaN);
    return { idle, peak, hwm, ready, online, onlineCpu, sent, ...count(join(sub, 'siaga.db')) };
  } finally {
    await gw?.stop();
    await pty.close();
  }
}

export async function benchRate1k(): Promise<Figure[]> {
  const dir = scratchDir('rate1k');
  const broker = await startBenchBroker(join(dir, 'mosq'));
  try {
    const unit = await once(dir, broker.url, true);
    const hand = await once(dir, broker.url, false);
    const lost = unit.sent - unit.stored;
    const byHand = `\`siaga run\` by hand (no unit flags): ${hand.idle} MB`;
    return [
      {
        figure: 'M1 idle',
        value: unit.idle,
        unit: 'MB RSS',
        target: '≤ 0.6 × Node-RED',
        notes: `idle after start (50 nodes, serial pty, uplink to Mosquitto), systemd's settings; ${byHand}`,
        byHandMB: hand.idle,
      },
      {
        figure: 'M1 peak 1k/s',
        value: unit.peak,
        unit: 'MB RSS',
        target: '≤ 0.6 × Node-RED',
        pass: lost === 0 && unit.backlog === 0,
        notes:
          `peak while ${RATE} frames/s for ${SECONDS} s came over the pty (VmHWM ${unit.hwm}); ` +
          `${unit.sent} sent, ${unit.stored} stored (lost ${lost}), ${unit.backlog} left unsent; by hand: peak ${hand.peak} MB`,
        lost,
        byHandMB: hand.peak,
      },
      {
        figure: 'M1 start to online',
        value: round(unit.online),
        unit: 'ms',
        target: '≤ 0.5 × Node-RED',
        notes:
          `spawn → CONNACK from the centre (CPU used by then ${unit.onlineCpu} ms); to 'gateway ready' ${round(unit.ready)} ms; ` +
          `by hand ${round(hand.online)} ms (CPU ${hand.onlineCpu} ms)`,
      },
    ];
  } finally {
    await broker.stop();
    removeScratch(dir);
  }
}
