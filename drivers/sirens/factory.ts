import type { Logger } from 'pino';
import type { SirenConfig } from '../../src/config/schema.js';
import { SirenError } from '../../src/domain/index.js';
import type { LocalBus } from '../../src/ports/local-bus.js';
import type { LoraSirenLink } from '../../src/ports/lora-link.js';
import type { SirenDriver } from '../../src/ports/siren-driver.js';
import { CommandSiren } from './command.js';
import { GpioSiren } from './gpio.js';
import { createLoraSiren } from './lora.js';
import { MqttSiren } from './mqtt.js';
import { PrintSiren } from './print.js';
import { type RelayBinding, RelayBoard, RelaySiren } from './relay.js';

export interface SirenDriverDeps {
  /** The local broker; required by `mqtt` sirens. */
  bus?: LocalBus;
  log: Logger;
  /** Where `print` sirens write (default process.stdout). */
  out?: NodeJS.WritableStream;
  /** Serial binding for `relay` sirens (tests pass MockBinding). */
  relayBinding?: RelayBinding;
  /**
   * Boards by port path, shared by every relay siren on the same port (a port opens only once).
   * Pass one Map for all sirens of a config; without it each relay siren gets its own board.
   */
  relayBoards?: Map<string, RelayBoard>;
  /** Zone shown by `print` sirens. */
  zone?: string;
  /** The LoRa network (src/lora/link.ts); required by `lora` sirens. */
  lora?: LoraSirenLink;
}

/** Builds the driver for one configured siren. Throws SirenError for a driver that cannot be built. */
export function createSirenDriver(cfg: SirenConfig, deps: SirenDriverDeps): SirenDriver {
  const log = deps.log.child({ siren: cfg.id, driver: cfg.driver });
  switch (cfg.driver) {
    case 'relay': {
      let board = deps.relayBoards?.get(cfg.port);
      if (!board) {
        board = new RelayBoard({
          path: cfg.port,
          baud: cfg.baud,
          log,
          ...(deps.relayBinding ? { binding: deps.relayBinding } : {}),
        });
        deps.relayBoards?.set(cfg.port, board);
      }
      return new RelaySiren({ id: cfg.id, channel: cfg.channel, board });
    }
    case 'gpio':
      return new GpioSiren({ id: cfg.id, chip: cfg.chip, line: cfg.line, activeLow: cfg.active_low });
    case 'mqtt':
      if (!deps.bus)
        throw new SirenError(cfg.id, 'mqtt sirens need the local broker (local_broker.enabled: true)');
      return new MqttSiren({ id: cfg.id, bus: deps.bus, stateTimeoutMs: cfg.state_timeout_ms });
    case 'command':
      return new CommandSiren({
        id: cfg.id,
        command: cfg.command,
        args: cfg.args,
        timeoutMs: cfg.timeout_ms,
      });
    case 'print':
      return new PrintSiren({
        id: cfg.id,
        ...(deps.out ? { out: deps.out } : {}),
        ...(deps.zone ? { zone: deps.zone } : {}),
      });
    case 'lora':
      if (!deps.lora) throw new SirenError(cfg.id, 'lora sirens need the lora section (the GWMP server)');
      return createLoraSiren(cfg, deps.lora, log);
    default: {
      const never: never = cfg;
      throw new SirenError((never as { id: string }).id, 'unknown siren driver');
    }
  }
}
