import type { Logger } from 'pino';
import { errorMessage } from '../util/errors.js';
import type { UplinkLink } from './link.js';
import type { CommandResponse } from './payloads.js';

/** Commands accepted per window before the rest are ignored (a flood must not fill the events table). */
const CMD_BURST = 20;
const CMD_WINDOW_MS = 10_000;

export interface CommandIntakeDeps {
  link: UplinkLink;
  log: Logger;
  /** Topics the requests arrive on and the answers go to. */
  reqTopic: string;
  resTopic: string;
  /** Handles a request payload; its answer, if any, is published on `resTopic`. */
  onCommand?(payload: Buffer): Promise<CommandResponse | undefined>;
}

/** Takes `cmd/req` messages off the uplink, at most `CMD_BURST` per window, and answers on `cmd/res`. */
export class CommandIntake {
  private windowStart = 0;
  private count = 0;

  constructor(private readonly deps: CommandIntakeDeps) {}

  /** A message that arrived on connection `gen`. */
  receive(topic: string, payload: Buffer, gen: number): void {
    const { link, log, onCommand } = this.deps;
    if (!link.isCurrent(gen) || topic !== this.deps.reqTopic || !onCommand) return;
    const now = link.mono();
    if (now - this.windowStart > CMD_WINDOW_MS) {
      this.windowStart = now;
      this.count = 0;
    }
    if (++this.count > CMD_BURST) {
      if (this.count === CMD_BURST + 1) log.warn('too many commands; ignoring the rest of this window');
      return;
    }
    onCommand(payload)
      .then((res) => {
        const live = link.live();
        if (!res || !live) return;
        live.client.publish(this.deps.resTopic, JSON.stringify(res), { qos: 1 });
      })
      .catch((e: unknown) => log.error({ err: errorMessage(e) }, 'command handler failed'));
  }
}
