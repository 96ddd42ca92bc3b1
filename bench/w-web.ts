import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { hashPassword } from '../src/broker/password.js';
import { encodeSg1 } from '../src/codecs/sg1.js';
import { hasChromium, launchBrowser, PHONE } from '../test/helpers/browser.js';
import { freePort } from '../test/helpers/mosquitto.js';
import { webGatewayYaml } from '../test/helpers/web.js';
import { mb, procCpuS, procStatus } from './child.js';
import { type Figure, percentile, removeScratch, round, scratchDir, serviceEnv, sleep } from './common.js';

/**
 * W1–W3 (issue 15), against a real `siaga run` child process and Debian's headless chromium:
 * - W1: first contentful paint of the page at phone size (360×740), fresh profile per load;
 * - W2: a panic button pressed over the local broker → the zone's card is AWAS in the open page
 *   (the page stamps the moment its card changes; bench and browser share the machine's clock);
 * - W3: 50 open SSE clients: RSS and CPU of the gateway at the quiet-night rate (50 nodes, one
 *   frame a minute each) with them, minus the same window without them.
 */

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'bin', 'siaga.js');
const ZONES = 30;
const QUIET_NODES = 50;

// The page functions below run in the browser (this project compiles without the DOM lib).
declare const document: {
  querySelectorAll(s: string): { getAttribute(a: string): string | null }[];
  body: unknown;
};
declare const performance: { getEntriesByName(n: string): { startTime: number }[] };
declare const MutationObserver: new (
  f: () => void,
) => { observe(t: unknown, o: { subtree: boolean; attributes: boolean; childList: boolean }): void };
declare const window: { awasAt: Record<string, number> };

interface Rig {
  url: string;
  child: ChildProcess;
  publish(node: string, line: string): Promise<void>;
  stop(): Promise<void>;
}

async function startRig(dir: string): Promise<Rig> {
  const ports = { web: await freePort(), broker: await freePort() };
  const hash = await hashPassword('bench-admin');
  const zones = Array.from({ length: ZONES }, (_, i) => {
    const n = String(i + 1).padStart(2, '0');
    const lat = -5.0 - Math.floor(i / 6) * 0.03;
    const lon = 105.7 + (i % 6) * 0.03;
    return { id: `z-${n}`, btn: `btn-${n}`, lat, lon };
  });
  const quiet = Array.from(
    { length: QUIET_NODES - ZONES },
    (_, i) => `pir-${String(i + 1).padStart(2, '0')}`,
  );
  const users = `    - {username: bench, password_hash: "${hash}", role: admin}`;
  const yaml = `${webGatewayYaml({ id: 'gw-bench-web', site: 'Bench village', dir, ports, users })}
nodes:
${zones.map((z) => `  - {id: ${z.btn}, type: btn, zone: ${z.id}}`).join('\n')}
${quiet.map((id, i) => `  - {id: ${id}, type: pir, zone: ${zones[i % ZONES]?.id}}`).join('\n')}
zones:
${zones.map((z) => `  - {id: ${z.id}, name: Zone ${z.id}, center: [${z.lat}, ${z.lon}], radius_m: 1200}`).join('\n')}
log: {level: warn}
`;
  const file = join(dir, 'siaga.yaml');
  writeFileSync(file, yaml);
  const child = spawn(process.execPath, [CLI, '-c', file, 'run'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: serviceEnv(),
  });
  const url = `http://127.0.0.1:${ports.web}/`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ok = await fetch(`${url}api/status`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error('the gateway did not serve its page within 20 s');
    await sleep(100);
  }
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.broker}`, {
    username: 'bench',
    password: 'bench-admin',
    reconnectPeriod: 0,
  });
  return {
    url,
    child,
    publish: async (node, line) => {
      await client.publishAsync(`siaga/local/nodes/${node}/up`, line, { qos: 1 });
    },
    stop: async () => {
      await client.endAsync();
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

async function w1(rig: Rig, loads: number): Promise<Figure[]> {
  const fcp: number[] = [];
  for (let i = 0; i < loads; i++) {
    const b = await launchBrowser(PHONE);
    try {
      const page = await b.context.newPage();
      await page.goto(rig.url);
      await page.locator('.zone[data-zone]').first().waitFor();
      fcp.push(
        await page.evaluate(
          () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
        ),
      );
    } finally {
      await b.close();
    }
  }
  const p50 = percentile(fcp, 0.5);
  const max = Math.max(...fcp);
  return [
    {
      figure: 'W1',
      value: round(p50),
      unit: 'ms',
      target: '≤ 1000',
      pass: max <= 1000,
      notes: `first contentful paint at 360×740, ${loads} cold loads (fresh profile each): median ${round(p50)} ms, max ${round(max)} ms`,
      samples: fcp.map((x) => round(x, 1)),
    },
  ];
}

async function w2(rig: Rig): Promise<Figure[]> {
  const b = await launchBrowser(PHONE);
  try {
    const page = await b.context.newPage();
    await page.goto(rig.url);
    await page.locator('#conn[data-state="connected"]').waitFor({ timeout: 20_000 });
    // The page re-renders its cards; the observer stamps each zone's first AWAS it sees.
    await page.evaluate(() => {
      window.awasAt = {};
      const look = () => {
        for (const el of document.querySelectorAll('.zone[data-level="AWAS"]')) {
          const z = el.getAttribute('data-zone');
          if (z && window.awasAt[z] === undefined) window.awasAt[z] = Date.now();
        }
      };
      new MutationObserver(look).observe(document.body, { subtree: true, attributes: true, childList: true });
    });
    const latencies: number[] = [];
    for (let i = 1; i <= ZONES; i++) {
      const n = String(i).padStart(2, '0');
      const sent = Date.now();
      await rig.publish(`btn-${n}`, encodeSg1({ node: `btn-${n}`, seq: 1, type: 'btn', v: { p: 1 } }));
      const seen = await page.waitForFunction((z) => window.awasAt[z], `z-${n}`, { timeout: 10_000 });
      latencies.push(((await seen.jsonValue()) as number) - sent);
      await sleep(300);
    }
    const p99 = percentile(latencies, 0.99);
    return [
      {
        figure: 'W2',
        value: p99,
        unit: 'ms',
        target: '≤ 500 (p99)',
        pass: p99 <= 500,
        notes: `button press over local MQTT → card AWAS in the open page, ${latencies.length} zones: median ${percentile(latencies, 0.5)} ms, p99 ${p99} ms`,
        samples: latencies,
      },
    ];
  } finally {
    await b.close();
  }
}

/** One quiet-night window: every node's heartbeat once a minute, spread evenly. */
async function quietWindow(rig: Rig, seconds: number, seqs: Map<string, number>) {
  const pid = rig.child.pid ?? 0;
  const nodes = [
    ...Array.from({ length: ZONES }, (_, i) => `btn-${String(i + 1).padStart(2, '0')}`),
    ...Array.from({ length: QUIET_NODES - ZONES }, (_, i) => `pir-${String(i + 1).padStart(2, '0')}`),
  ];
  const cpu0 = procCpuS(pid);
  const t0 = Date.now();
  let i = 0;
  const timer = setInterval(() => {
    const node = nodes[i++ % nodes.length] as string;
    const seq = (seqs.get(node) ?? 100) + 1;
    seqs.set(node, seq);
    void rig.publish(node, encodeSg1({ node, seq, type: 'hb', v: { bat: 3.9 } }));
  }, 60_000 / QUIET_NODES);
  await sleep(seconds * 1000);
  clearInterval(timer);
  const cpuPct = ((procCpuS(pid) - cpu0) / ((Date.now() - t0) / 1000)) * 100;
  return { cpuPct, rssKb: procStatus(pid).vmRss };
}

function openStream(url: string): { close(): void; opened: Promise<void> } {
  let req: ReturnType<typeof request> | undefined;
  const opened = new Promise<void>((resolve, reject) => {
    req = request(`${url}api/stream`, (res) => {
      res.on('data', () => {});
      resolve();
    });
    req.on('error', reject);
    req.end();
  });
  return { opened, close: () => req?.destroy() };
}

async function w3(rig: Rig, seconds: number): Promise<Figure[]> {
  const seqs = new Map<string, number>();
  await quietWindow(rig, 5, seqs); // warm-up
  const without = await quietWindow(rig, seconds, seqs);
  const streams = Array.from({ length: 50 }, () => openStream(rig.url));
  try {
    await Promise.all(streams.map((s) => s.opened));
    await quietWindow(rig, 5, seqs);
    const withClients = await quietWindow(rig, seconds, seqs);
    const rssMb = mb(withClients.rssKb - without.rssKb);
    const cpu = round(withClients.cpuPct - without.cpuPct, 2);
    return [
      {
        figure: 'W3',
        value: rssMb,
        unit: 'MB',
        target: '≤ 10',
        pass: rssMb <= 10,
        notes: `RSS with 50 open SSE clients minus without, quiet-night rate (50 nodes × 1/min), ${seconds} s windows: ${mb(without.rssKb)} → ${mb(withClients.rssKb)} MB`,
      },
      {
        figure: 'W3 cpu',
        value: cpu,
        unit: '% of a core',
        target: '≤ 1',
        pass: cpu <= 1,
        notes: `CPU ${round(without.cpuPct, 2)} % → ${round(withClients.cpuPct, 2)} % with the 50 clients`,
      },
    ];
  } finally {
    for (const s of streams) s.close();
  }
}

export async function benchW(which: 'W1' | 'W2' | 'W3', opts: { loads?: number; seconds?: number } = {}) {
  if (!hasChromium() && which !== 'W3') throw new Error('chromium not found: apt-get install -y chromium');
  const dir = scratchDir(`w-${which}`);
  const rig = await startRig(dir);
  try {
    if (which === 'W1') return await w1(rig, opts.loads ?? 10);
    if (which === 'W2') return await w2(rig);
    return await w3(rig, opts.seconds ?? 60);
  } finally {
    await rig.stop();
    removeScratch(dir);
  }
}
