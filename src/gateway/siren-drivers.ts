import type { Logger } from 'pino';
import { createSirenDriver, type SirenDriverDeps } from '../../drivers/sirens/factory.js';
import type { Config, SirenConfig } from '../config/schema.js';
import type { LocalBus } from '../ports/local-bus.js';
import type { SirenDriver } from '../ports/siren-driver.js';
import { unchangedSirens } from './reload.js';

type RelayBoards = NonNullable<SirenDriverDeps['relayBoards']>;

/**
 * The siren drivers of the running config. Relay sirens on one port share one board (a port
 * opens once); a reload keeps the instance of every siren whose config did not change, so it
 * does not toggle.
 */
export class SirenDrivers {
  private readonly relayBoards: RelayBoards = new Map();
  private current = new Map<string, SirenDriver>();

  constructor(
    private readonly deps: {
      log: Logger;
      bus: LocalBus | undefined;
      out: NodeJS.WritableStream | undefined;
      lora?: SirenDriverDeps['lora'];
    },
    config: Config,
  ) {
    this.current = new Map(config.sirens.map((s) => [s.id, this.build(config, s)]));
  }

  get drivers(): Map<string, SirenDriver> {
    return this.current;
  }

  /** The drivers for `next`: kept where unchanged since `prev`, built anew otherwise. */
  reconfigure(prev: Config, next: Config): Map<string, SirenDriver> {
    const keep = unchangedSirens(prev, next);
    const kept = (id: string) => (keep.has(id) ? this.current.get(id) : undefined);
    this.current = new Map(next.sirens.map((s) => [s.id, kept(s.id) ?? this.build(next, s)]));
    return this.current;
  }

  private build(c: Config, sc: SirenConfig): SirenDriver {
    const zone = c.zones.find((z) => z.sirens.includes(sc.id))?.id;
    return createSirenDriver(sc, {
      log: this.deps.log,
      relayBoards: this.relayBoards,
      ...(this.deps.bus ? { bus: this.deps.bus } : {}),
      ...(this.deps.out ? { out: this.deps.out } : {}),
      ...(this.deps.lora ? { lora: this.deps.lora } : {}),
      ...(zone ? { zone } : {}),
    });
  }
}
