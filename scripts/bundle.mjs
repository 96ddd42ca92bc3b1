#!/usr/bin/env node
// `npm run build`'s second step: the CLI as one ES module (dist/bin/siaga.js) plus split chunks,
// which is what systemd, `npm run siaga`/`demo` and the spawned-process tests run.
//
// Why a bundle: `siaga run`'s start was CPU-bound, most of it Node resolving, reading and compiling
// ~300 CommonJS files and every siaga module one by one, and V8 keeps each module's source as a
// string for the process's life (bench/README.md, "Memory", round 4 has the figures).
//
// Every `import()` in the sources stays a separate chunk (`splitting`), so what was lazy stays lazy:
// other CLI commands, alerts, the local broker, the LoRa stack, the village screen.
//
// Left outside the bundle (loaded from node_modules at run time, as before):
// - native addons found next to their own files: better-sqlite3 (`bindings`), serialport
//   (@serialport/bindings-cpp, `node-gyp-build`);
// - MQTT.js's index (`mqtt.connect` and every transport it loads: WebSocket, SOCKS), needed only
//   for a URL the uplink's own socket does not handle (src/uplink/stream-builder.ts). Its client
//   class is bundled: loaded from node_modules it took ~40 ms, file by file, on the way to online.
// The lazy parts' packages (aedes, lora-packet, fastify, xmlbuilder2) are bundled into their own
// chunks: none reads files beside itself, and a gateway that enables them starts ~60–100 ms of
// CPU sooner (P8's site: local broker and LoRa on). pino is bundled; its transports (worker
// threads started from a file path) would not work from the bundle, and siaga never uses them:
// it writes synchronously to stdout (src/util/log.ts).
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bin');

export const EXTERNAL = ['better-sqlite3', 'serialport', '@serialport/*'];

// MQTT.js's index (mqtt.connect with every transport) stays in node_modules, loaded only for a URL
// the uplink's own socket does not handle; its client class (`mqtt/lib/client`) is bundled and
// minified. esbuild's `external` would take a package's subpaths with it, hence a resolver.
const mqttIndexOutside = {
  name: 'mqtt-index-outside',
  setup(b) {
    b.onResolve({ filter: /^mqtt$/ }, (args) => ({ path: args.path, external: true }));
  },
};

// MQTT.js (its client, bl, mqtt-packet) takes its streams from readable-stream, a copy of Node's own
// stream module for browsers and old Nodes: ~140 kB of source with its polyfills (abort-controller,
// event-target-shim, string_decoder) that V8 keeps for the gateway's life, beside the stream module
// Node has already loaded. readable-stream 4 is Node's stream code (same classes, same behaviour),
// so the bundle hands the built-in to them.
const nodeStreams = {
  name: 'node-streams',
  setup(b) {
    b.onResolve({ filter: /^readable-stream$/ }, () => ({ path: 'node:stream', external: true }));
  },
};

// CommonJS packages inside an ES module call `require` for Node's built-ins; an ES module has none.
const banner = [
  "import { createRequire as __siagaCreateRequire } from 'node:module';",
  'const require = __siagaCreateRequire(import.meta.url);',
].join('\n');

// zod's namespace object re-exports all of its ~50 error-message locales (~300 kB of source V8
// would keep for the process's life); siaga's messages are its own and zod's stay in English, the
// one locale zod installs itself. `z.locales` then holds `en` only.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /\/node_modules\/zod\//.test(args.importer)
        ? { path: join(dirname(args.importer), '..', 'locales', 'en.js'), namespace: 'zod-locales' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: dirname(args.path),
    }));
  },
};

// The options every bundle shares: the run bundle below, and a single entry bundled alike
// (`node scripts/bundle.mjs <entry> <outfile>`: bench:peer's floor, bench/peer/floor.ts).
const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  banner: { js: banner },
  // Less source for V8 to keep and parse; names stay, so stack traces and `err.name` read as before.
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  plugins: [zodEnglishOnly, mqttIndexOutside, nodeStreams],
  legalComments: 'none',
  logLevel: 'warning',
};

const [entry, outfile] = process.argv.slice(2);
if (entry !== undefined) {
  if (outfile === undefined) throw new Error('bundle: node scripts/bundle.mjs <entry> <outfile>');
  await build({ ...common, entryPoints: [entry], outfile });
  process.exit(0);
}

// Old chunks have other hashes; a stale one must not be found by anything.
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

const result = await build({
  ...common,
  // The second entry is the process `siaga run` checks its config file in
  // (src/config/load-isolated.ts): the YAML parser and zod never load in the gateway itself.
  entryPoints: { siaga: 'src/cli/entry.ts', 'config-loader': 'src/config/loader-child.ts' },
  outdir,
  splitting: true,
  // Chunks beside the entry: src/version.ts reads ../../package.json relative to its own file.
  chunkNames: '[name]-[hash]',
  // A file beside each output, used only with NODE_OPTIONS=--enable-source-maps (README, troubleshooting).
  sourcemap: 'linked',
  sourcesContent: false,
  metafile: true,
});

// Which sources each output holds: the lazy-modules test reads it to name the chunk of a lazy part.
writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
if (!existsSync(join(outdir, 'siaga.js'))) throw new Error('bundle: dist/bin/siaga.js was not written');
