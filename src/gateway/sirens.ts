import type { Logger } from 'pino';
import { sirenCallTimeoutMs } from '../../drivers/sirens/lora.js';
import type { Config } from '../config/schema.js';
import type { Clock, EventSink } from '../domain/index.js';
import { LoraLink } from '../lora/link.js';
import type { LocalBus } from '../ports/local-bus.js';
import { SirenController } from '../sirens/controller.js';
import type { Db } from '../store/db.js';
import { SirenStore } from '../store/silences.js';
import { SirenDrivers } from './siren-drivers.js';

/**
 * The sirens as the composition root builds them: their drivers (relay boards shared, LoRa sirens
 * given a link the radio attaches to once it starts) and the controller over them, with a
 * driver-call limit long enough for a LoRa siren's retries.
 */
export function buildSirens(
  config: Config,
  deps: {
    clock: Clock;
    events: EventSink;
    log: Logger;
    db: Db;
    bus: LocalBus | undefined;
    out?: NodeJS.WritableStream | undefined;
  },
): { sirens: SirenController; sirenDrivers: SirenDrivers; loraLink: LoraLink } {
  const loraLink = new LoraLink();
  const sirenDrivers = new SirenDrivers(
    { log: deps.log.child({ c: 'siren' }), bus: deps.bus, out: deps.out, lora: loraLink },
    config,
  );
  const sirens = new SirenController({
    clock: deps.clock,
    events: deps.events,
    log: deps.log.child({ c: 'sirens' }),
    config,
    drivers: sirenDrivers.drivers,
    store: new SirenStore(deps.db),
    callTimeoutMs: sirenCallTimeoutMs(config.sirens),
  });
  return { sirens, sirenDrivers, loraLink };
}
