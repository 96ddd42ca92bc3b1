import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config/load.js';
import { startGateway } from '../src/main.js';
import { createPtyPair, type PtyPair, socatAvailable } from '../src/sim/pty.js';
import {
  type Figure,
  loraDevices,
  median,
  now,
  removeScratch,
  scratchDir,
  silentLog,
  sinkStream,
  siteYaml,
} from './common.js';

/**
 * P8: start to ready (sirens OFF confirmed, ports open). The site: 50 nodes, 4 zones, 4 print
 * sirens, a serial port on a socat pty (when socat is installed), LoRa GWMP with 50 devices, the
 * local broker and the control socket. Two figures:
 * - in-process: `startGateway()` from call to resolved (modules already loaded), on a fresh
 *   database (migrations) and on restarts of an existing one;
 * - whole process: `node dist/src/cli/main.js run -c <file>` from spawn to the log line
 *   'gateway ready' (module loading, config parsing and everything above), on an existing database.
 */

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

const DEMO_HASH = 'scrypt$16384$8$1$c2lhZ2EtZGVtby1zYWx0IQ==$YpI4D60LerMakWwEBnPcdqk0zVAOXJe3zblkCnVh7x8=';

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

function extraYaml(serial: string | undefined, gwmpPort: number, brokerPort: number): string {
  const devs = loraDevices();
  return `${serial ? `serial: [{port: ${serial}, baud: 115200}]` : ''}
local_broker:
  enabled: true
  host: 127.0.0.1
  port: ${brokerPort}
  users:
    # the demo's hash (config/demo.yaml), not a real secret
    - {username: n-00, role: node, node: n-00, password_hash: "${DEMO_HASH}"}
lora:
  gwmp: {host: 127.0.0.1, port: ${gwmpPort}}
  devices:
${devs.map((d) => `    - {node: ${d.node}, dev_addr: "${d.dev_addr}", nwk_s_key: "${d.nwk_s_key}", app_s_key: "${d.app_s_key}", codec: ${d.codec}}`).join('\n')}
`;
}

/** Spawns the CLI and resolves with ms from spawn to 'gateway ready'; stops it with SIGTERM. */
function cliStart(file: string): Promise<number> {
  const t0 = now();
  const child = spawn(process.execPath, [CLI, 'run', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    let readyAt: number | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      err += s;
    });
    child.stdout.on('data', (s: string) => {
      out += s;
      if (readyAt === undefined && out.includes('"gateway ready"')) {
        readyAt = now() - t0;
        child.kill('SIGTERM');
      }
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (readyAt !== undefined) resolve(readyAt);
      else
        reject(
          new Error(
            `siaga run exited (${code ?? signal}) before ready:\n${err.slice(0, 500)}${out.slice(0, 500)}`,
          ),
        );
    });
  });
}

export async function benchP8(opts: { reps?: number } = {}): Promise<Figure[]> {
  const reps = opts.reps ?? 5;
  const dir = scratchDir('p8');
  let pty: PtyPair | undefined;
  const inFresh: number[] = [];
  const inRestart: number[] = [];
  const proc: number[] = [];
  try {
    if (socatAvailable()) pty = await createPtyPair(dir);
    // In-process: ports 0 through the config's own fields where possible, `ports` for the rest.
    for (let r = 0; r < reps; r++) {
      const sub = join(dir, r === 0 ? 'fresh' : 'restart');
      const config = parseConfig(
        siteYaml({ dir: sub, logLevel: 'silent', extra: extraYaml(pty?.a, 1700, 1883) }),
        sub,
      );
      const t0 = now();
      const gw = await startGateway({
        config,
        log: silentLog,
        sirenOut: sinkStream(),
        ports: { gwmp: 0, broker: 0 },
      });
      const ms = now() - t0;
      (r === 0 ? inFresh : inRestart).push(ms);
      await gw.stop();
      // Reps 1.. reuse one database: the fresh one is measured once, then restarts.
      if (r === 0) removeScratch(sub);
    }
    // Whole process, the way systemd runs it (info logs on stdout, as in production).
    const sub = join(dir, 'proc');
    const file = join(dir, 'siaga.yaml');
    for (let r = 0; r < Math.max(3, reps - 2); r++) {
      const yaml = siteYaml({
        dir: sub,
        logLevel: 'info',
        extra: extraYaml(pty?.a, await freeUdpPort(), await freeTcpPort()),
      });
      writeFileSync(file, yaml);
      proc.push(await cliStart(file));
    }
  } finally {
    await pty?.close();
    removeScratch(dir);
  }
  const restart = median(inRestart);
  const p = median(proc);
  const serialNote = pty ? 'serial on a socat pty' : 'no socat: no serial port';
  return [
    {
      figure: 'P8 process',
      value: p,
      unit: 'ms',
      target: '≤ 1,500',
      pass: p <= 1500,
      notes: `spawn → 'gateway ready' of \`siaga run\`, median of ${proc.length} (${proc.map((x) => Math.round(x)).join(', ')} ms); ${serialNote}`,
      runs: proc,
    },
    {
      figure: 'P8 startGateway',
      value: restart,
      unit: 'ms',
      target: '≤ 1,500',
      pass: restart <= 1500 && (inFresh[0] ?? 0) <= 1500,
      notes: `call → resolved on restart, median of ${inRestart.length}; fresh DB (migrations) ${Math.round(inFresh[0] ?? Number.NaN)} ms`,
      fresh: inFresh[0],
      runs: inRestart,
    },
  ];
}
