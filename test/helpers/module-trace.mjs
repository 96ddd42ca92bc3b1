// `node --import ./module-trace.mjs …`: appends the URL of every ES module (and every CommonJS
// package an ES module imports) the process loads to $SIAGA_MODULE_TRACE, one per line, the
// path of every file CommonJS code requires, and when the process exits, Node's built-in modules
// it loaded as `node:<name>` (the loader hooks never see a require() made inside a
// package, e.g. MQTT.js loading its transports). Tests use it to see which parts a spawned gateway
// loaded (test/integration/lazy-modules.test.ts).
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';

const file = process.env.SIAGA_MODULE_TRACE;
register('./module-trace-hooks.mjs', import.meta.url, { data: { file } });

const load = Module._load;
Module._load = function traced(request, parent, isMain) {
  const exported = load.call(this, request, parent, isMain);
  try {
    const path = Module._resolveFilename(request, parent, isMain);
    if (path.startsWith('/')) appendFileSync(file, `${path}\n`);
  } catch {
    // A built-in without a file; nothing to record.
  }
  return exported;
};

process.on('exit', () => {
  const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule '));
  appendFileSync(file, builtins.map((m) => `node:${m.slice('NativeModule '.length)}\n`).join(''));
});
