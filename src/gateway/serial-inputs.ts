import type { Logger } from 'pino';
import { SerialSource } from '../../drivers/serial/source.js';
import { MAX_LINE_BYTES } from '../codecs/line.js';
import { LineSplitter } from '../codecs/line-splitter.js';
import type { SerialPortConfig } from '../config/schema.js';
import type { EventSink } from '../domain/index.js';
import type { FrameSource } from '../ports/frame-source.js';

export interface SerialInputsDeps {
  log: Logger;
  events: EventSink;
  /** One complete line from a port. */
  onLine(port: string, line: string): void;
  onTooLong(port: string, n: number): void;
  /** Replaces the real ports (the demo's in-process pair, benchmarks). */
  override?: (onData: (port: string, chunk: Buffer) => void) => FrameSource[];
}

/**
 * The serial ports of the config, each with its own line splitter. A port that vanishes keeps
 * the rest running (serial_lost / serial_back); a reload starts new ports and stops removed ones
 * without touching the others.
 */
export class SerialInputs {
  private readonly sources = new Map<string, FrameSource>();
  private readonly splitters = new Map<string, LineSplitter>();
  private readonly bauds = new Map<string, number>();

  constructor(private readonly deps: SerialInputsDeps) {}

  async start(ports: SerialPortConfig[]): Promise<void> {
    if (this.deps.override) {
      const list = this.deps.override((port, chunk) => this.onData(port, chunk));
      list.forEach((s, i) => {
        this.sources.set(`override-${i}`, s);
      });
      await Promise.all(list.map((s) => s.start()));
      return;
    }
    await this.reconfigure(ports);
  }

  /** Starts ports that are new, stops ports that are gone; unchanged ports keep reading. */
  async reconfigure(ports: SerialPortConfig[]): Promise<void> {
    if (this.deps.override) return;
    const wanted = new Map(ports.map((p) => [p.port, p]));
    const stops: Promise<void>[] = [];
    for (const [path, src] of this.sources) {
      const cfg = wanted.get(path);
      if (!cfg || this.bauds.get(path) !== cfg.baud) {
        this.sources.delete(path);
        this.splitters.delete(path);
        stops.push(src.stop());
      }
    }
    await Promise.all(stops);
    const starts: Promise<void>[] = [];
    for (const p of ports) {
      if (this.sources.has(p.port)) continue;
      const src = this.open(p);
      this.sources.set(p.port, src);
      this.bauds.set(p.port, p.baud);
      starts.push(src.start());
    }
    await Promise.all(starts);
  }

  states() {
    return [...this.sources.values()].map((s) => s.state());
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sources.values()].map((s) => s.stop()));
    this.sources.clear();
  }

  private open(p: SerialPortConfig): SerialSource {
    const { events, log } = this.deps;
    return new SerialSource({
      path: p.port,
      baud: p.baud,
      log: log.child({ port: p.port }),
      onData: (chunk) => this.onData(p.port, chunk),
      onLost: (error) => events.emit('serial_lost', { port: p.port, error }),
      onBack: (downMs) => {
        // Half a line from before the outage must not be glued to the first line after it.
        this.splitters.get(p.port)?.reset();
        events.emit('serial_back', { port: p.port, down_s: Math.round(downMs / 100) / 10 });
      },
    });
  }

  private onData(port: string, chunk: Buffer): void {
    let sp = this.splitters.get(port);
    if (!sp) {
      sp = new LineSplitter(MAX_LINE_BYTES);
      this.splitters.set(port, sp);
    }
    const { lines, tooLong } = sp.push(chunk);
    if (tooLong > 0) this.deps.onTooLong(port, tooLong);
    for (const line of lines) this.deps.onLine(port, line);
  }
}
