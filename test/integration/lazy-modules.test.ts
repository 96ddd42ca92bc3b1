import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/broker/password.js';
import { gatewayYaml } from '../helpers/cli-exit.js';
import { tmpDir } from '../helpers/gateway.js';
import { CLI } from '../helpers/gateway-process.js';
import { mosquittoAvailable, startMosquitto } from '../helpers/mosquitto.js';

/**
 * What a config does not use is not loaded (P6: memory for as long as the gateway runs; P8: time
 * to ready). A real `siaga run`, spawned with a loader hook (test/helpers/module-trace.mjs) that
 * writes down every module it loads; asked once it is ready, then stopped.
 */

const TRACE = new URL('../helpers/module-trace.mjs', import.meta.url).pathname;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * `siaga run` is the bundle (dist/bin/siaga.js and its chunks, scripts/bundle.mjs), so a siaga
 * source file is loaded when the chunk that holds it is. esbuild's metafile says which output
 * holds which source; a package left outside the bundle is still its own files in node_modules.
 */
function sourcesLoaded(modules: string[]): string[] {
  const meta = JSON.parse(readFileSync(join(ROOT, 'dist/bin/meta.json'), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  return modules.flatMap((m) => {
    if (m.startsWith('node:')) return [m];
    const path = m.startsWith('file:') ? fileURLToPath(m) : m;
    // node_modules may be a link to a shared install: the package path is what names it.
    const pkg = path.indexOf('/node_modules/');
    if (pkg >= 0) return [path.slice(pkg + 1)];
    return Object.keys(meta.outputs[relative(ROOT, path)]?.inputs ?? {});
  });
}

/** Sources of the parts a config may leave off, and of the commands other than `run`. */
const OPTIONAL = {
  'the local broker (aedes)': /^node_modules\/aedes\//,
  'the broker wiring': /^src\/broker\/server\.ts$/,
  'the LoRa network server': /^src\/lora\/network\.ts$/,
  'lora-packet': /^node_modules\/lora-packet\//,
  'the alerts runtime': /^src\/alerts\/runtime\.ts$/,
  'the CAP XML builder (xmlbuilder2)': /^node_modules\/xmlbuilder2\//,
  'the village screen (fastify)': /^node_modules\/fastify\//,
} as const;
const OTHER_COMMANDS = /^src\/cli\/commands\/(?!run\.ts$)[^/]+\.ts$/;
/**
 * The config check (the YAML parser, zod, the schema) runs in a process of its own, and the
 * command schemas load with the first command: none of them is in the gateway's heap for its life.
 */
const CONFIG_CHECK =
  /^node_modules\/(zod|yaml)\/|^src\/config\/(load|schema[^/]*|refs|suggest|locate)\.ts$|^src\/uplink\/command-schemas\.ts$/;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** Starts `siaga -c <file> run` with the trace hook; resolves with the modules loaded by ready. */
async function loadedBy(yaml: string, until = '"gateway ready"'): Promise<string[]> {
  const dir = tmpDir('siaga-lazy-');
  const file = join(dir, 'siaga.yaml');
  const trace = join(dir, 'modules.txt');
  writeFileSync(file, `${yaml}\nlog: {level: info}\n`);
  writeFileSync(trace, '');
  const child = spawn(process.execPath, ['--import', TRACE, CLI, '-c', file, 'run'], {
    env: { ...process.env, SIAGA_MODULE_TRACE: trace },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      out += s;
    });
    child.stdout?.on('data', (s: string) => {
      out += s;
      if (out.includes(until)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`siaga run exited (${code}) before ready:\n${out}`)));
  });
  const loaded = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  // What systemd runs: the bundle, not the per-file build in dist/src.
  expect(loaded.some((m) => m.endsWith('/dist/bin/siaga.js'))).toBe(true);
  expect(loaded.filter((m) => m.includes('/dist/src/'))).toEqual([]);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  // What was loaded by ready, and the built-ins the process had loaded when it exited.
  const builtins = readFileSync(trace, 'utf8')
    .split('\n')
    .filter((m) => m.startsWith('node:'));
  expect(builtins).toContain('node:net');
  return sourcesLoaded([...loaded.filter((m) => !m.startsWith('node:')), ...builtins]);
}

let users = '';
beforeAll(async () => {
  users = `[{username: tech, password_hash: "${await hashPassword('rahasia-uji')}", role: viewer}]`;
});

describe('siaga run loads only what its config uses', () => {
  it('without LoRa, alerts, the local broker and the village screen, none of them is loaded, nor any other command', async () => {
    const modules = await loadedBy(gatewayYaml(tmpDir('siaga-lazy-db-')));
    // The trace saw the gateway itself (else an empty list would pass).
    expect(modules).toContain('src/main.ts');
    expect(modules).toContain('src/cli/commands/run.ts');
    for (const [part, re] of Object.entries(OPTIONAL)) {
      expect(
        modules.filter((m) => re.test(m)),
        `${part} was loaded`,
      ).toEqual([]);
    }
    expect(modules.filter((m) => OTHER_COMMANDS.test(m))).toEqual([]);
    expect(modules.filter((m) => CONFIG_CHECK.test(m))).toEqual([]);
    // No uplink in this config: MQTT.js is not loaded at all.
    expect(modules.filter((m) => /^node_modules\/(mqtt|mqtt-packet)\//.test(m))).toEqual([]);
  }, 30_000);

  it('with all of them on, each is loaded (and runs: the gateway got ready)', async () => {
    const [web, broker, gwmp] = [await freePort(), await freePort(), await freePort()];
    const dir = tmpDir('siaga-lazy-db-');
    const extra = `
local_broker: {enabled: true, host: 127.0.0.1, port: ${broker}, users: ${users}}
lora: {gwmp: {host: 127.0.0.1, port: ${gwmp}}, devices: []}
web: {enabled: true, host: 127.0.0.1, port: ${web}}
alerts:
  enabled: true
  sms: {driver: print}
  contacts: [{id: r1, name: Darto, phone: "+6281200000001", roles: [ranger]}]
  policies: [{zone: "*", steps: [{after_min: 0, notify: ["role:ranger"], min_level: AWAS}]}]
  cap: {dir: ${join(dir, 'cap')}}
`;
    const modules = await loadedBy(gatewayYaml(dir, extra));
    for (const [part, re] of Object.entries(OPTIONAL)) {
      expect(
        modules.some((m) => re.test(m)),
        `${part} was not loaded`,
      ).toBe(true);
    }
  }, 30_000);
});

describe.skipIf(!mosquittoAvailable())('the uplink loads only the transport its URL names', () => {
  // mqtt.connect loads MQTT.js's WebSocket and SOCKS transports (ws, socks, ip-address) whatever
  // the URL: ~3 MB a gateway on mqtt:// never uses.
  it('connected to a real Mosquitto over mqtt://, neither WebSocket nor SOCKS code is loaded, nor zod and node:crypto for commands none came, nor node:tls', async () => {
    const broker = await startMosquitto();
    try {
      const uplink = `uplink: {url: "mqtt://127.0.0.1:${broker.port}"}`;
      const modules = await loadedBy(gatewayYaml(tmpDir('siaga-lazy-db-'), uplink), '"uplink connected"');
      expect(modules.some((m) => /^node_modules\/mqtt\//.test(m))).toBe(true);
      expect(
        modules.filter((m) =>
          /^node_modules\/(ws|socks|ip-address)\/|^node_modules\/mqtt\/build\/lib\/connect\//.test(m),
        ),
      ).toEqual([]);
      // The command handler is there (it answers the centre) but has had nothing to parse yet.
      expect(modules).toContain('src/uplink/commands.ts');
      expect(modules.filter((m) => CONFIG_CHECK.test(m))).toEqual([]);
      // Nor node:crypto (the signature check loads with the first command; reading ids are seeded
      // from /dev/urandom) nor node:tls over mqtt://: ~1 MB resident for the gateway's life. MQTT.js
      // streams with Node's own stream module, not readable-stream's copy of it.
      expect(modules.filter((m) => /^node:(crypto|tls|_tls_wrap|internal\/crypto\/)/.test(m))).toEqual([]);
      expect(modules.filter((m) => /^node_modules\/readable-stream\//.test(m))).toEqual([]);
    } finally {
      await broker.close();
    }
  }, 30_000);
});
