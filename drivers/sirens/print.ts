import type { SirenCheck, SirenDriver } from '../../src/ports/siren-driver.js';

export interface PrintSirenOptions {
  id: string;
  /** Where the line goes; default process.stdout. */
  out?: NodeJS.WritableStream;
  /** Zone shown on the line (the first zone listing this siren), if known. */
  zone?: string;
}

/**
 * The demo siren: prints one clear line per switch, readable in a plain terminal, e.g.
 * `>>> SIREN s-braja-1 ON   (zone z-braja) <<<`. Never fails.
 */
export class PrintSiren implements SirenDriver {
  private state: boolean | null = null;
  private readonly out: NodeJS.WritableStream;

  constructor(private readonly opts: PrintSirenOptions) {
    this.out = opts.out ?? process.stdout;
  }

  get id(): string {
    return this.opts.id;
  }

  on(): Promise<void> {
    return this.write(true);
  }

  off(): Promise<void> {
    return this.write(false);
  }

  check(): Promise<SirenCheck> {
    return Promise.resolve({ on: this.state, ok: true });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private write(on: boolean): Promise<void> {
    this.state = on;
    const zone = this.opts.zone ? `  (zone ${this.opts.zone})` : '';
    const line = on ? `>>> SIREN ${this.id} ON ${zone} <<<\n` : `    siren ${this.id} off${zone}\n`;
    this.out.write(line);
    return Promise.resolve();
  }
}
