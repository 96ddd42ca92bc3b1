// `node --import ./module-trace.mjs …`: appends the URL of every ES module (and every CommonJS
// package an ES module imports) the process loads to $SIAGA_MODULE_TRACE, one per line. Tests use
// it to see which parts a spawned gateway loaded (test/integration/lazy-modules.test.ts).
import { register } from 'node:module';

register('./module-trace-hooks.mjs', import.meta.url, { data: { file: process.env.SIAGA_MODULE_TRACE } });
