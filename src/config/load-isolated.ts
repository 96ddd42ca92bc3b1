import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, type ConfigIssue } from '../domain/index.js';
import { errorMessage } from '../util/errors.js';
import type { Config } from './schema.js';

/** What the loader process sends back (loader-child.ts). */
export type LoaderReply =
  | { ok: true; config: Config }
  | { ok: false; issues: ConfigIssue[]; file?: string }
  | { ok: false; message: string };

export interface IsolatedLoadOptions {
  /** The loader's file; by default the bundle's `config-loader.js` beside this chunk. */
  loader?: string;
  /** A loader that has not answered by then is killed and the file checked here instead. */
  timeoutMs?: number;
  /** Told why the file was checked in this process after all (the gateway still starts). */
  onFallback?: (why: string) => void;
}

const BUNDLED_LOADER = fileURLToPath(new URL('./config-loader.js', import.meta.url));

/**
 * Loads the config file as `loadConfig` does, but in a short-lived process of its own, so that
 * the gateway never loads the YAML parser, zod and the schema: their code stays in V8's heap for
 * the process's life once loaded (~4–6 MB of a ~70 MB gateway, bench/README.md "Memory round 10").
 *
 * A broken file is a ConfigError with the same issues, lines and columns as in-process. Anything
 * else that keeps the loader from answering (no bundle, as when run from the sources; the fork
 * refused; a crash; no answer in time) falls back to checking the file here: costlier, but an
 * early-warning gateway must start.
 */
export async function loadConfigIsolated(file: string, o: IsolatedLoadOptions = {}): Promise<Config> {
  const early = prefetched;
  prefetched = undefined;
  let asked: Asked;
  if (early?.file === file) asked = early;
  else {
    // A prefetch of another file (the command line read wrong) would only take a core from this one.
    early?.cancel();
    asked = start(file, o);
  }
  const reply = await asked.reply;
  if ('config' in reply) return reply.config;
  if ('issues' in reply) throw new ConfigError(reply.issues, reply.file);
  if ('message' in reply) throw new ConfigError([{ path: '', message: reply.message }], file);
  o.onFallback?.(reply.why);
  const { loadConfig } = await import('./load.js');
  return loadConfig(file).config;
}

type Outcome = LoaderReply | { ok: false; why: string };

interface Asked {
  reply: Promise<Outcome>;
  /** Kills the loader if it is still running; its reply is then a fallback nobody reads. */
  cancel(): void;
}

let prefetched: (Asked & { file: string }) | undefined;

/**
 * Starts the loader for `file` now, before `siaga run` has loaded its own modules, so that Node's
 * start in the loader overlaps them; the next `loadConfigIsolated` of the same file takes its
 * answer (a reload starts a loader of its own).
 */
export function prefetchConfig(file: string, o: IsolatedLoadOptions = {}): void {
  prefetched = { file, ...start(file, o) };
}

function start(file: string, o: IsolatedLoadOptions): Asked {
  const loader = o.loader ?? BUNDLED_LOADER;
  if (!existsSync(loader)) return { reply: Promise.resolve({ ok: false, why: `no ${loader}` }), cancel() {} };
  return ask(loader, file, o.timeoutMs ?? 60_000);
}

/**
 * The gateway's environment without what only costs a process that lives a moment, on the way to
 * online. NODE_EXTRA_CA_CERTS: Node reads and parses the whole root certificate store as it starts
 * (~40 ms and ~1.8 MB here), and the check makes no TLS connection; a gateway whose centre has a
 * private CA may well set it for the uplink. MALLOC_MMAP_THRESHOLD_ (the unit's, src/gateway/heap.ts):
 * it keeps a long-lived heap unfragmented by mapping each larger block on its own, which only
 * slows a process that exits once it has answered.
 */
function loaderEnv(): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _ca, MALLOC_MMAP_THRESHOLD_: _mmap, ...env } = process.env;
  return env;
}

function ask(loader: string, file: string, timeoutMs: number): Asked {
  let child: ReturnType<typeof fork> | undefined;
  const reply = new Promise<Outcome>((resolve) => {
    let settled = false;
    const done = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    try {
      // No flags of the gateway's own (heap limits, --import hooks, profilers): the loader lives
      // for a moment, and V8's defaults check the file fastest. Structured clone keeps the config
      // exactly as parsed (undefined values included), not as JSON would.
      child = fork(loader, [file], {
        execArgv: [],
        env: loaderEnv(),
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
    } catch (e) {
      resolve({ ok: false, why: `cannot start the loader: ${errorMessage(e)}` });
      return;
    }
    const timer = setTimeout(() => {
      child?.kill('SIGKILL');
      done({ ok: false, why: `the loader gave no answer in ${timeoutMs} ms` });
    }, timeoutMs);
    child.once('message', (m) => done(m as LoaderReply));
    child.once('error', (e) => done({ ok: false, why: `loader: ${errorMessage(e)}` }));
    child.once('exit', (code, signal) =>
      done({ ok: false, why: `the loader ended without an answer (${signal ?? `exit ${code}`})` }),
    );
  });
  return { reply, cancel: () => child?.kill('SIGKILL') };
}
