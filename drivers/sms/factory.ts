import type { Logger } from 'pino';
import type { SmsGateway } from '../../src/ports/sms.js';
import { GammuSmsd } from './gammu-smsd.js';
import { PrintSms } from './print.js';

/** `alerts.sms` as the driver needs it (issue 14): the names are the config's. */
export type SmsDriverConfig = { driver: 'gammu-smsd'; spool: string } | { driver: 'print' };

export interface SmsDriverDeps {
  log: Logger;
  /** Where `print` writes (default process.stdout). */
  out?: NodeJS.WritableStream;
  clock?: () => number;
  /** Message ids handed over before a restart whose fate is still unknown (from the store). */
  pending?: Iterable<string>;
}

/** Builds the configured SMS driver. */
export function createSmsGateway(cfg: SmsDriverConfig, deps: SmsDriverDeps): SmsGateway {
  const log = deps.log.child({ sms: cfg.driver });
  if (cfg.driver === 'print') return new PrintSms(deps.out ? { out: deps.out } : {});
  return new GammuSmsd({
    spool: cfg.spool,
    log,
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.pending ? { pending: deps.pending } : {}),
  });
}
