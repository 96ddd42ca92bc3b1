import { SirenError } from '../../src/domain/index.js';
import type { SirenCheck, SirenDriver } from '../../src/ports/siren-driver.js';
import { errorMessage } from '../../src/util/errors.js';
import { type CommandRunner, commandFailure, execRunner } from './command.js';

export interface GpioSirenOptions {
  id: string;
  /** gpiochip name or path, e.g. `gpiochip0`. */
  chip: string;
  /** Line offset on the chip. */
  line: number;
  /** The relay board switches on a low level. */
  activeLow: boolean;
  /** libgpiod tools major version; detected with `gpioset --version` when not given. */
  version?: 1 | 2;
  /** `gpioset` program (default found on PATH). */
  gpioset?: string;
  timeoutMs?: number;
  run?: CommandRunner;
}

/**
 * The argv for one `gpioset` call that sets the line and exits:
 * libgpiod v1 `gpioset <chip> <line>=<v>`; v2 `gpioset -c <chip> -t 0 <line>=<v>` (v2 holds the
 * line until killed unless the toggle sequence ends with 0). The physical level is computed here
 * (active_low inverts), so the same argv shape works on both versions.
 */
export function gpiosetArgs(version: 1 | 2, chip: string, line: number, level: 0 | 1): string[] {
  return version === 1 ? [chip, `${line}=${level}`] : ['-c', chip, '-t', '0', `${line}=${level}`];
}

/** Major version from `gpioset --version` output ("gpioset (libgpiod) v1.6.3" / "v2.1"). */
export function parseGpiodVersion(text: string): 1 | 2 | undefined {
  const m = /libgpiod\)?\s*v?(\d+)\./.exec(text) ?? /\bv(\d+)\.\d+/.exec(text);
  if (!m) return undefined;
  return m[1] === '1' ? 1 : 2;
}

/** A siren on a GPIO line (usually a relay HAT), switched with libgpiod's `gpioset`. */
export class GpioSiren implements SirenDriver {
  readonly id: string;
  private state: boolean | null = null;
  private lastFault: string | undefined;
  private version: Promise<1 | 2> | undefined;
  private readonly run: CommandRunner;
  private readonly bin: string;
  private readonly timeoutMs: number;

  constructor(private readonly opts: GpioSirenOptions) {
    this.id = opts.id;
    this.run = opts.run ?? execRunner;
    this.bin = opts.gpioset ?? 'gpioset';
    this.timeoutMs = opts.timeoutMs ?? 3000;
    if (opts.version) this.version = Promise.resolve(opts.version);
  }

  on(): Promise<void> {
    return this.set(true);
  }

  off(): Promise<void> {
    return this.set(false);
  }

  check(): Promise<SirenCheck> {
    return Promise.resolve(
      this.lastFault ? { on: this.state, ok: false, fault: this.lastFault } : { on: this.state, ok: true },
    );
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private detect(): Promise<1 | 2> {
    this.version ??= this.run(this.bin, ['--version'], { timeoutMs: this.timeoutMs }).then(
      (r) => {
        const v = parseGpiodVersion(r.stdout + r.stderr);
        if (!v) throw new SirenError(this.id, `cannot tell the libgpiod version from: ${r.stdout.trim()}`);
        return v;
      },
      (e: unknown) => {
        this.version = undefined; // try again next time (tools installed later)
        throw commandFailure(this.id, `${this.bin} --version`, e, this.timeoutMs);
      },
    );
    return this.version;
  }

  private async set(on: boolean): Promise<void> {
    try {
      const version = await this.detect();
      const level: 0 | 1 = on !== this.opts.activeLow ? 1 : 0;
      const args = gpiosetArgs(version, this.opts.chip, this.opts.line, level);
      try {
        await this.run(this.bin, args, { timeoutMs: this.timeoutMs });
      } catch (e) {
        throw commandFailure(this.id, `${this.bin} ${args.join(' ')}`, e, this.timeoutMs);
      }
    } catch (e) {
      this.lastFault = errorMessage(e);
      throw e;
    }
    this.lastFault = undefined;
    this.state = on;
  }
}
