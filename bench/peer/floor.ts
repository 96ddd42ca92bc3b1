import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { UNIT_ENV, UNIT_NODE_FLAGS } from '../../src/gateway/heap.js';
import { createPtyPair } from '../../src/sim/pty.js';
import { mb, procStatus } from '../child.js';
import { removeScratch, scratchDir, serviceEnv, sleep, waitFor } from '../common.js';
import { REPO } from './contenders.js';
import { stopProcess } from './measure.js';

/**
 * The floor beside the two contenders: RSS of Node with siaga's libraries loaded and opened and
 * nothing else running (bench/peer/floor-child.ts), measured like a contender's idle: 5 s after it
 * is connected to the centre, with the unit's flags and environment. What a memory target below
 * it asks for cannot be met by any gateway on this stack (bench/README.md, "Memory round 9").
 */

export interface Floor {
  /** VmRSS, RssAnon (private) and RssFile (pages of the node binary and libraries), MB. */
  rssMb: number;
  anonMb: number;
  fileMb: number;
}

const BUNDLE = join(REPO, 'dist-bench', 'bench', 'peer', 'floor-bundle.js');

/** The child bundled with the run bundle's own options, so its libraries load as siaga's do. */
export function buildFloor(): void {
  execFileSync(
    process.execPath,
    [join(REPO, 'scripts', 'bundle.mjs'), join('bench', 'peer', 'floor-child.ts'), BUNDLE],
    { cwd: REPO, stdio: 'inherit' },
  );
}

export async function measureFloor(brokerUrl: string): Promise<Floor> {
  const dir = scratchDir('peer-floor');
  const pty = await createPtyPair(dir);
  const child = spawn(
    process.execPath,
    [...UNIT_NODE_FLAGS, BUNDLE, join(dir, 'floor.db'), pty.a, brokerUrl],
    {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: serviceEnv(UNIT_ENV, { NODE_ENV: 'production' }),
    },
  );
  try {
    let ready = false;
    child.stdout.on('data', (b: Buffer) => {
      if (b.toString('utf8').includes('ready\n')) ready = true;
    });
    await waitFor(() => ready || child.exitCode !== null, 'floor ready', 30_000, 2);
    if (!ready) throw new Error(`floor child exited with ${child.exitCode}`);
    await sleep(5_000);
    const s = procStatus(child.pid ?? 0);
    return { rssMb: mb(s.vmRss), anonMb: mb(s.rssAnon), fileMb: mb(s.rssFile) };
  } finally {
    await stopProcess(child);
    await pty.close();
    removeScratch(dir);
  }
}
