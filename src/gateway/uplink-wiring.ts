import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Clock, EventSink, GatewayEvent, Reading } from '../domain/index.js';
import type { Db } from '../store/db.js';
import type { NodeState } from '../store/node-state.js';
import { NonceStore } from '../store/nonces.js';
import type { Outbox } from '../store/outbox.js';
import type { CommitInfo, StoreWriter } from '../store/writer.js';
import { CommandHandler, type CommandServices } from '../uplink/commands.js';
import { Forwarder, type ForwarderState } from '../uplink/forwarder.js';
import type { StatusFields } from '../uplink/payloads.js';
import { persistentSession, UplinkSubscriptions } from '../uplink/subscriptions.js';
import { uplinkChanged } from './reload.js';

export interface UplinkDeps {
  db: Db;
  outbox: Outbox;
  writer: StoreWriter;
  clock: Clock;
  log: Logger;
  events: EventSink;
}

/** What the uplink publishes and answers with: the gateway's status and its services. */
export interface UplinkSources {
  status(): StatusFields;
  services: CommandServices;
}

/**
 * The link to the centre, when the config has one: the forwarder of the running config and the
 * signed-command handler behind it. A reload that changes the connection or the command keys
 * replaces both; the rest of the gateway holds this object, never a forwarder.
 */
export class Uplink {
  private forwarder: Forwarder | undefined;
  private sources: UplinkSources | undefined;
  /** Topics read through the uplink besides commands (neighbours' events); kept across rebuilds. */
  readonly subscriptions = new UplinkSubscriptions();

  constructor(private readonly deps: UplinkDeps) {}

  get current(): Forwarder | undefined {
    return this.forwarder;
  }

  start(config: Config, sources: UplinkSources): void {
    this.sources = sources;
    this.forwarder = this.build(config);
  }

  async reconfigure(prev: Config, next: Config): Promise<void> {
    if (!uplinkChanged(prev, next)) return;
    await this.forwarder?.stop(2000);
    this.forwarder = this.build(next);
  }

  async stop(flushMs: number): Promise<void> {
    await this.forwarder?.stop(flushMs);
  }

  state(): ForwarderState | null {
    return this.forwarder ? this.forwarder.state() : null;
  }

  /** Rows were queued outside a commit (`readings.resend`): the drain looks at them. */
  notify(): void {
    this.forwarder?.notify();
  }

  /** A group commit: its live readings get their rowids, and the drain looks at the new rows. */
  committed(info: CommitInfo): void {
    this.forwarder?.committed(info.readings, info.firstRid);
    this.forwarder?.notify();
  }

  /** A reading accepted, not yet committed: to the centre now (uplink.live_readings). */
  offer(r: Reading): void {
    // Committed already (it filled a batch): the outbox has it, and the live path must not.
    if (this.forwarder && this.deps.writer.isPending(r)) this.forwarder.offer(r);
  }

  publishNode(s: NodeState): void {
    this.forwarder?.publishNode(s);
  }

  publishStatus(): void {
    this.forwarder?.publishStatus();
  }

  publishSummary(summary: { day: string }): void {
    this.forwarder?.publishSummary(summary);
  }

  /**
   * R4: while the disk refuses writes, alerts still go out, straight from memory; one the
   * centre acknowledged is not sent again from the outbox once the disk works.
   */
  sendLiveWhileDiskFull(event: GatewayEvent): void {
    const { writer, log } = this.deps;
    if (!writer.storageFailing || !this.forwarder) return;
    this.forwarder.publishLive(event).then(
      (sent) => sent && writer.markDeliveredLive(event.id),
      (err: unknown) => log.warn({ err }, 'could not send an event live'),
    );
  }

  private build(c: Config): Forwarder | undefined {
    if (!c.uplink || !this.sources) return undefined;
    const { db, clock, events, log, outbox } = this.deps;
    const sources = this.sources;
    const commands = new CommandHandler({
      commands: c.commands,
      nonces: new NonceStore(db),
      clock,
      events,
      services: sources.services,
      log: log.child({ c: 'commands' }),
    });
    const f = new Forwarder({
      config: c.uplink,
      gatewayId: c.gateway.id,
      villageCode: c.gateway.site.village_code,
      outbox,
      clock,
      log: log.child({ c: 'uplink' }),
      events,
      status: () => sources.status(),
      onCommand: (payload) => commands.handle(payload),
      onReadingsDelivered: (ids) => this.deps.writer.markReadingsDelivered(ids),
      subscriptions: this.subscriptions,
      ...(this.subscriptions.size > 0 ? { connect: persistentSession() } : {}),
    });
    f.start();
    return f;
  }
}
