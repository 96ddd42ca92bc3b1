import type { Logger } from 'pino';
import type { UplinkLink } from './link.js';
import type { CommandResponse } from './payloads.js';

export interface CommandIntakeDeps {
  link: UplinkLink;
  log: Logger;
  /** Topics the requests arrive on and the answers go to. */
  reqTopic: string;
  resTopic: string;
  /** Handles a request payload; its answer, if any, is published on `resTopic`. */
  onCommand?(payload: Buffer): Promise<CommandResponse | undefined>;
}

/**
 * Takes `cmd/req` messages off the uplink and answers on `cmd/res`. No rate limit here: counting
 * before the signature is checked let junk use up a signed command's budget; the handler limits
 * after verifying (`command-limits.ts`).
 */
export class CommandIntake {
  constructor(private readonly deps: CommandIntakeDeps) {}

  /** A message that arrived on connection `gen`. */
  receive(topic: string, payload: Buffer, gen: number): void {
    const { link, log, onCommand } = this.deps;
    if (!link.isCurrent(gen) || topic !== this.deps.reqTopic || !onCommand) return;
    onCommand(payload)
      .then((res) => {
        const live = link.live();
        if (!res || !live) return;
        live.client.publish(this.deps.resTopic, JSON.stringify(res), { qos: 1 });
      })
      .catch((e: unknown) => log.error({ err: e }, 'command handler failed'));
  }
}
