import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UNIT_ENV, UNIT_NODE_FLAGS } from '../../src/gateway/heap.js';
import { serviceEnv, siteYaml } from '../common.js';

/**
 * The two gateways compared by `npm run bench:peer`, each started the way it runs on a village
 * gateway: `siaga run` from the bundle in dist/bin (as scripts/siaga.service starts it), and Node-RED's own
 * `red.js` with bench/peer/node-red/settings.js and flow.json. Both read SG1 lines from the same kind of
 * socat pty, store in SQLite and publish to the same Mosquitto; both say they are online with a
 * retained `{"online":true}` on `siaga/v1/gw/<id>/status`, which is what the harness waits for.
 */

/** dist-bench/bench/peer → the repo. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PEER = join(REPO, 'bench', 'peer', 'node-red');
// SIAGA_BENCH_CLI: another build's CLI, to measure a before and an after alike (as bench/run-process.ts).
const SIAGA_CLI = process.env.SIAGA_BENCH_CLI ?? join(REPO, 'dist', 'bin', 'siaga.js');
const RED_JS = join(PEER, 'node_modules', 'node-red', 'red.js');

export interface Contender {
  name: string;
  /** Gateway id: topics are under `siaga/v1/gw/<id>/`. */
  gateway: string;
  /** Decodes one message on `…/readings` into the readings it carries. */
  readings(payload: Buffer): { node: string; seq: number }[];
  /** Starts the process with `serial` as its port and `brokerPort` as the centre; logs to `dir`. */
  start(dir: string, serial: string, brokerPort: number): ChildProcess;
  /** The version, for the results file. */
  version(): string;
}

interface ReadingOnWire {
  node: string;
  seq: number;
}

function spawnLogged(dir: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  // A file, not a pipe: the harness must not slow either process down by reading its log late.
  const log = openSync(join(dir, 'process.log'), 'w');
  try {
    return spawn(process.execPath, args, {
      cwd: dir,
      stdio: ['ignore', log, log],
      // The unit file's environment (scripts/siaga.service: NODE_ENV, glibc's MALLOC_*); the
      // same for the peer, since it is the machine's, not siaga's. Neither carries the build
      // machine's proxy CA (serviceEnv).
      env: serviceEnv(env, UNIT_ENV, { NODE_ENV: 'production' }),
    });
  } finally {
    closeSync(log);
  }
}

export const siaga: Contender = {
  name: 'siaga',
  gateway: 'gw-bench-01',
  readings(payload) {
    const batch = JSON.parse(payload.toString('utf8')) as { readings: ReadingOnWire[] };
    return batch.readings;
  },
  start(dir, serial, brokerPort) {
    const file = join(dir, 'siaga.yaml');
    // The bench site (50 nodes, 4 zones, print sirens) with every default the example config
    // leaves alone: group commit, uplink batching and in-flight window as shipped; info logs on
    // stdout as under systemd.
    writeFileSync(
      file,
      siteYaml({
        dir,
        logLevel: 'info',
        extra: `serial: [{port: ${serial}, baud: 115200}]\nuplink: {url: "mqtt://127.0.0.1:${brokerPort}"}\n`,
      }),
    );
    // With the unit's node flags, as a village gateway runs it (Node-RED with its own red.js).
    return spawnLogged(dir, [...UNIT_NODE_FLAGS, SIAGA_CLI, 'run', '-c', file], {});
  },
  version() {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    return pkg.version;
  },
};

export const nodeRed: Contender = {
  name: 'Node-RED',
  gateway: 'gw-peer-01',
  readings(payload) {
    return [JSON.parse(payload.toString('utf8')) as ReadingOnWire];
  },
  start(dir, serial, brokerPort) {
    // A fresh userDir per run: nothing learnt by an earlier run (context, .config files) carries over.
    const userDir = join(dir, 'userdir');
    mkdirSync(userDir, { recursive: true });
    return spawnLogged(
      dir,
      [RED_JS, '-s', join(PEER, 'settings.js'), '-u', userDir, join(PEER, 'flow.json')],
      {
        SIAGA_PEER_SERIAL: serial,
        SIAGA_PEER_DB: join(dir, 'peer.db'),
        SIAGA_PEER_MQTT_PORT: String(brokerPort),
      },
    );
  },
  version() {
    const pkg = JSON.parse(readFileSync(join(PEER, 'node_modules', 'node-red', 'package.json'), 'utf8')) as {
      version: string;
    };
    return pkg.version;
  },
};
