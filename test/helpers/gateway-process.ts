import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { must } from './must.js';

/**
 * The real gateway as a child process: `node dist/bin/siaga.js -c <file> run` (the bundle), exactly what
 * systemd runs, so a test can `kill -9` it. Its stdout (pino JSON lines, level debug) is parsed
 * as it arrives; the store's `commit` lines are the acknowledgements (every reading up to
 * `upto[node]` is committed). Run `npm run build` first: this runs dist/, not the sources.
 */

export const CLI = new URL('../../dist/bin/siaga.js', import.meta.url).pathname;

/** One stdout line: the parsed JSON object, or `{ raw }` when it was not JSON. */
export type LogLine = Record<string, unknown> & { msg?: string; raw?: string };

export interface GatewayProcessOptions {
  /** Directory for the config file (the YAML decides where the DB goes). */
  dir: string;
  /** The config YAML without a `log:` section: the helper adds `log: {level: debug}`. */
  yaml: string;
  /** Config file name inside `dir`; default siaga.yaml. */
  file?: string;
  /** How long `start` waits for "gateway ready"; default 15 s. */
  readyTimeoutMs?: number;
  /** The CLI to run; default the bundle `npm run build` wrote. */
  cli?: string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Children still running, killed if the test process exits without stopping them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills (SIGKILL) every gateway process this test file started that is still running. */
export async function killAllGatewayProcesses(): Promise<void> {
  await Promise.all([...running].map((g) => g.kill9()));
}
const running = new Set<GatewayProcess>();

export class GatewayProcess {
  /** Every stdout line so far, in order. */
  readonly logs: LogLine[] = [];
  /** Per node, the highest seq any commit line acknowledged. */
  private readonly acked = new Map<string, number>();
  private readonly waiters = new Set<{ pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  private stderrText = '';
  private exit: Exit | undefined;
  readonly exited: Promise<Exit>;
  /** Resolves when stdout has been read to its end (after the process exited). */
  private readonly drained: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly configFile: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        live.delete(child);
        running.delete(this);
        resolve(this.exit);
      });
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      if (this.stderrText.length < 16_384) this.stderrText += s;
    });
    const rl = createInterface({ input: must(child.stdout, 'the gateway stdout pipe') });
    rl.on('line', (text) => this.onLine(text));
    this.drained = new Promise((resolve) => rl.once('close', () => resolve()));
  }

  /** Writes the config (log level debug) and spawns `siaga -c <file> run`; resolves once ready. */
  static async start(opts: GatewayProcessOptions): Promise<GatewayProcess> {
    const file = join(opts.dir, opts.file ?? 'siaga.yaml');
    writeFileSync(file, `${opts.yaml.trimEnd()}\nlog: {level: debug}\n`);
    const child = spawn(process.execPath, [opts.cli ?? CLI, '-c', file, 'run'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', () => {
        for (const c of live) c.kill('SIGKILL');
      });
    }
    const gp = new GatewayProcess(child, file);
    running.add(gp);
    try {
      await gp.waitForLog((l) => l.msg === 'gateway ready', opts.readyTimeoutMs ?? 15_000);
    } catch (e) {
      await gp.kill9();
      throw e;
    }
    return gp;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get stderr(): string {
    return this.stderrText;
  }

  get exitStatus(): Exit | undefined {
    return this.exit;
  }

  /** Per node, the last seq acknowledged by a `commit` log line (a copy). */
  lastCommitted(): Record<string, number> {
    return Object.fromEntries(this.acked);
  }

  /** Log lines whose `msg` is `msg` (and, optionally, that match `pred`). */
  find(msg: string, pred: (l: LogLine) => boolean = () => true): LogLine[] {
    return this.logs.filter((l) => l.msg === msg && pred(l));
  }

  /**
   * Resolves with the first line (already seen or yet to come) that matches; rejects after
   * `timeoutMs` or when the process exits without printing one.
   */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    const seen = this.logs.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (l: LogLine) => {
          clearTimeout(timer);
          this.waiters.delete(w);
          resolve(l);
        },
      };
      const fail = (why: string) => {
        clearTimeout(timer);
        this.waiters.delete(w);
        reject(new Error(`${why}\nstderr: ${this.stderrText.trim().slice(-2000)}`));
      };
      const timer = setTimeout(() => fail(`no matching log line within ${timeoutMs} ms`), timeoutMs);
      this.waiters.add(w);
      // stdout may still hold lines after 'exit': wait for it to drain before giving up.
      void this.exited.then(async (e) => {
        await this.drained;
        if (this.waiters.has(w)) fail(`gateway exited (${e.code ?? e.signal}) without the log line`);
      });
    });
  }

  /** `kill -9`: no shutdown code runs. Resolves when the process is gone and stdout drained. */
  async kill9(): Promise<Exit> {
    if (this.exit === undefined) this.child.kill('SIGKILL');
    const e = await this.exited;
    await this.drained;
    return e;
  }

  /** SIGTERM (sirens off, flush, close), then waits for the exit; SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<Exit> {
    if (this.exit === undefined) this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      await this.kill9();
      throw new Error(`gateway did not stop within ${timeoutMs} ms after SIGTERM; killed`);
    }
    await this.drained;
    return must(this.exit, 'the gateway exit status');
  }

  private onLine(text: string): void {
    let line: LogLine;
    try {
      const v: unknown = JSON.parse(text);
      line = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as LogLine) : { raw: text };
    } catch {
      line = { raw: text };
    }
    this.logs.push(line);
    if (line.msg === 'commit' && line.c === 'store' && typeof line.upto === 'object' && line.upto) {
      for (const [node, seq] of Object.entries(line.upto as Record<string, unknown>)) {
        if (typeof seq !== 'number') continue;
        const prev = this.acked.get(node);
        if (prev === undefined || seq > prev) this.acked.set(node, seq);
      }
    }
    for (const w of [...this.waiters]) if (w.pred(line)) w.resolve(line);
  }
}
