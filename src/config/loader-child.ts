import { ConfigError } from '../domain/index.js';
import { errorMessage } from '../util/errors.js';
import { loadConfig } from './load.js';
import type { LoaderReply } from './load-isolated.js';

/**
 * The process `siaga run` checks its config file in (load-isolated.ts): reads, checks and
 * resolves the file as `siaga config check` does, sends the result over the IPC channel and ends.
 * Not a command: it prints nothing a technician could use, and the config (secrets resolved) goes
 * to its parent only.
 */
if (typeof process.send !== 'function') {
  process.stderr.write('siaga: config-loader is started by `siaga run`, not by hand\n');
  process.exit(2);
}
const file = process.argv[2] ?? '';
let reply: LoaderReply;
try {
  reply = { ok: true, config: loadConfig(file).config };
} catch (e) {
  reply =
    e instanceof ConfigError
      ? { ok: false, issues: e.issues, ...(e.file === undefined ? {} : { file: e.file }) }
      : { ok: false, message: errorMessage(e) };
}
process.send(reply, () => process.disconnect());
