import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { UplinkConfig } from '../config/schema.js';
import type { Clock, EventSink, GatewayEvent, Reading } from '../domain/index.js';
import type { Backlog, Outbox } from '../store/outbox.js';
import { errorMessage } from '../util/errors.js';
import { sleep } from '../util/wait.js';
import { BacklogPacker } from './backlog-packer.js';
import { CommandIntake } from './command-intake.js';
import { type ConnectFn, UplinkConnection } from './connection.js';
import { OutboxDrain } from './drain.js';
import { LiveReadings, withoutLiveRows } from './live-readings.js';
import {
  type CommandResponse,
  capXml,
  eventPayload,
  type NodePayloadInput,
  nodePayload,
  offlineStatusPayload,
  type StatusFields,
  statusPayload,
} from './payloads.js';
import { plaintextRemoteHost, plaintextWarning } from './plaintext.js';
import { SideChannel } from './side-channel.js';
import type { UplinkSubscriptions } from './subscriptions.js';
import { type UplinkTopics, uplinkTopics } from './topics.js';

export type { ConnectFn } from './connection.js';

export interface ForwarderDeps {
  config: UplinkConfig;
  gatewayId: string;
  villageCode: string;
  outbox: Outbox;
  clock: Clock;
  log: Logger;
  /** Fields of the retained status payload (the forwarder adds online, ts and backlog). */
  status(): StatusFields;
  /** Where `uplink_stall` is raised (stored and queued like any event). */
  events?: EventSink;
  /** Called on a delivery stall, after the event was raised. */
  onStall?(): void;
  /**
   * The centre acknowledged readings published before their commit (`offer`): the store must
   * store them without queueing them.
   */
  onReadingsDelivered?(ids: string[]): void;
  /** Handles a `cmd/req` payload; the answer is published on `cmd/res`. */
  onCommand?(payload: Buffer): Promise<CommandResponse | undefined>;
  /** Further topics read through this connection (neighbours' events), subscribed on every connect. */
  subscriptions?: UplinkSubscriptions;
  /** Injectable for tests; defaults to MQTT.js `connect`. */
  connect?: ConnectFn;
  /** Injectable jitter source for the reconnect backoff. */
  random?: () => number;
  /**
   * How long a TCP/TLS connection may take to get its CONNACK (default 15 s). A broker that
   * accepts TCP but never answers (shutting down, overloaded) must not hold us for MQTT.js's 30 s.
   */
  connectTimeoutMs?: number;
  /** How often the backlog is packed while the centre is unreachable, ms (backlog-packer.ts). */
  packEveryMs?: number;
}

export interface ForwarderState {
  connected: boolean;
  backlog: Backlog;
  /** Batches (readings) or event groups published and waiting for their PUBACKs. */
  inflight: number;
  /** Readings batches allowed in flight now: the adaptive window (≤ `uplink.max_inflight`). */
  window: number;
  lastPubackTs: number | null;
  lastError: string | null;
  /** Successful connections after the first one. */
  reconnects: number;
  /** The broker URL in use, or being tried while disconnected (redacted). */
  url?: string;
  /** Attempts since the link was last stable; while disconnected, the one in progress. */
  attempts?: number;
  stalls: number;
  sentReadings: number;
  sentEvents: number;
  bytesSent: number;
}

/**
 * Store-and-forward uplink: drains the SQLite outbox to the central broker, QoS 1, events before
 * readings, at most `max_inflight` units in flight. An outbox row is deleted only when its PUBACK
 * arrived; when a connection is lost, everything in flight is forgotten and sent again on the next
 * connection with the same ids (the centre de-duplicates by id).
 *
 * Reconnects are ours (MQTT.js `reconnectPeriod: 0`): a new client per attempt after an
 * exponential backoff with jitter. On every connect: retained status, subscribe `cmd/req`, then
 * drain. A watchdog drops a connection that has units in flight and no PUBACK for `stall_s`.
 *
 * The parts: the connection and its reconnects (`connection.ts`), the outbox drain (`drain.ts`),
 * retained node states and summaries (`side-channel.ts`), command intake (`command-intake.ts`).
 */
export class Forwarder {
  private readonly topics: UplinkTopics;
  private readonly conn: UplinkConnection;
  private readonly drain: OutboxDrain;
  private readonly side: SideChannel;
  private readonly commands: CommandIntake;
  private readonly packer: BacklogPacker;
  private started = false;
  private watchdog: NodeJS.Timeout | undefined;
  private stalls = 0;

  constructor(private readonly deps: ForwarderDeps) {
    const { config, gatewayId, villageCode, outbox, clock, log, onCommand, connect, random } = deps;
    const topics = uplinkTopics(gatewayId);
    this.topics = topics;
    this.conn = new UplinkConnection({
      config,
      gatewayId,
      log,
      statusTopic: topics.status,
      onUp: (client, gen) => this.onUp(client, gen),
      onDown: () => this.drain.reset(),
      onMessage: (topic, payload, gen) => {
        if (!deps.subscriptions?.receive(topic, payload, gen)) this.commands.receive(topic, payload, gen);
      },
      ...(connect ? { connect } : {}),
      ...(random ? { random } : {}),
      ...(deps.connectTimeoutMs !== undefined ? { connectTimeoutMs: deps.connectTimeoutMs } : {}),
    });
    const link = this.conn;
    // Twice a batch: a link that falls further behind than that leaves the rest to the outbox.
    const live = config.live_readings ? new LiveReadings(2 * config.batch.max_readings) : undefined;
    this.drain = new OutboxDrain({
      config,
      gatewayId,
      villageCode,
      outbox: live ? withoutLiveRows(outbox, live) : outbox,
      clock,
      topics,
      link,
      log,
      ...(live ? { live } : {}),
      ...(deps.onReadingsDelivered ? { onDelivered: deps.onReadingsDelivered } : {}),
    });
    this.packer = new BacklogPacker({
      packs: outbox.packs,
      batchReadings: config.batch.max_readings,
      connected: () => this.conn.connected,
      log,
      ...(deps.packEveryMs !== undefined ? { everyMs: deps.packEveryMs } : {}),
    });
    this.side = new SideChannel(link, topics.summary);
    this.commands = new CommandIntake({
      link,
      log,
      reqTopic: topics.cmdReq,
      resTopic: topics.cmdRes,
      ...(onCommand ? { onCommand: (payload: Buffer) => onCommand(payload) } : {}),
    });
  }

  /** Connects and starts draining. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const plainHost = plaintextRemoteHost(this.deps.config.url);
    if (plainHost !== undefined) this.deps.log.warn({ host: plainHost }, plaintextWarning(plainHost));
    const stallMs = this.deps.config.stall_s * 1000;
    this.watchdog = setInterval(() => this.checkStall(), Math.max(50, Math.min(1000, stallMs / 4)));
    this.watchdog.unref();
    this.packer.start();
    this.conn.connectNow();
  }

  /** New outbox rows committed: wake the drain loop (coalesced, cheap). */
  notify(): void {
    this.drain.wake();
  }

  /**
   * A reading just accepted and NOT yet committed (the caller checks): with
   * `uplink.live_readings` it goes to the centre now instead of after its group commit. False: it
   * goes through the outbox as usual.
   */
  offer(r: Reading): boolean {
    return this.drain.offer(r);
  }

  /** A group commit stored `readings`, the first with rowid `firstRid` (the rest follow by one). */
  committed(readings: readonly Reading[], firstRid: number): void {
    this.drain.committed(readings, firstRid);
  }

  /** Republishes the retained status (the gateway calls this on its heartbeat). */
  publishStatus(): void {
    const live = this.conn.live();
    if (live) this.sendStatus(live.client);
  }

  /** Retained `nodes/<node>`; kept until PUBACKed, latest state wins while offline. */
  publishNode(n: NodePayloadInput): void {
    this.side.retained(this.topics.node(n.node), nodePayload(n));
  }

  /**
   * An event that could not be stored (disk full, R4) goes out now, straight from memory, QoS 1.
   * Resolves true once PUBACKed; false when not connected or refused. The store then keeps it
   * out of the outbox, so the centre gets it once.
   */
  publishLive(e: GatewayEvent): Promise<boolean> {
    const live = this.conn.live();
    if (!live) return Promise.resolve(false);
    const xml = capXml(e.kind, e.fields);
    const json = xml ?? JSON.stringify(eventPayload(e, this.deps.villageCode));
    this.conn.countBytes(json);
    return new Promise((resolve) => {
      live.client.publish(xml === undefined ? this.topics.events : this.topics.cap, json, { qos: 1 }, (err) =>
        resolve(!err),
      );
    });
  }

  /** Daily summary on `.../summary` (QoS 1, not retained); kept in memory until PUBACKed. */
  publishSummary(summary: { day: string }): void {
    this.side.summary(summary.day, JSON.stringify(summary));
  }

  state(): ForwarderState {
    let backlog = { events: 0, readings: 0 };
    try {
      backlog = this.deps.outbox.backlog();
    } catch (e) {
      this.conn.noteError(`cannot read backlog: ${errorMessage(e)}`);
    }
    return {
      connected: this.conn.connected,
      backlog,
      inflight: this.drain.inflight,
      window: this.drain.windowSize,
      lastPubackTs: this.drain.lastPubackTs,
      lastError: this.conn.lastError,
      reconnects: this.conn.reconnects,
      url: this.conn.url,
      attempts: this.conn.attempts,
      stalls: this.stalls,
      sentReadings: this.drain.sentReadings,
      sentEvents: this.drain.sentEvents,
      bytesSent: this.conn.bytesSent,
    };
  }

  /**
   * Sends what is queued for up to `flushMs` (partial batches go at once), tells the centre the
   * gateway goes offline (retained), then disconnects cleanly. Never rejects.
   */
  async stop(flushMs = 5000): Promise<void> {
    const conn = this.conn;
    if (conn.stopped) return;
    const deadline = conn.mono() + flushMs;
    this.drain.flush();
    while (conn.connected && conn.mono() < deadline && !this.drained()) await sleep(20);
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.drain.clearTimers();
    await this.packer.stop();
    await conn.close(deadline, () => offlineStatusPayload(this.deps.clock.now()));
  }

  /** Every connect: status first (the centre sees us online before the backlog), then `cmd/req`, then drain. */
  private onUp(client: MqttClient, gen: number): void {
    const { cmdReq } = this.topics;
    this.sendStatus(client, gen);
    // A broker that restarted without our session forgot the subscription: make it again every time.
    client.subscribe(cmdReq, { qos: 1 }, (err, granted) => {
      if (!this.conn.isCurrent(gen)) return;
      if (err) this.conn.noteError(`subscribe ${cmdReq} failed: ${err.message}`);
      else if (granted?.some((g) => g.qos === 128)) this.conn.noteError(`subscribe ${cmdReq} refused`);
    });
    this.deps.subscriptions?.onUp(this.conn, client, gen);
    this.side.flush();
    this.drain.pump();
  }

  /** The watchdog: drops a connection with units in flight and no PUBACK for `stall_s`. */
  private checkStall(): void {
    const inflight = this.drain.inflight;
    if (!this.conn.live() || inflight === 0) return;
    const waited = this.conn.mono() - this.drain.progressMono();
    if (waited < this.deps.config.stall_s * 1000) return;
    this.stalls++;
    this.conn.noteError(`no PUBACK for ${Math.round(waited / 1000)} s with ${inflight} batches in flight`);
    this.deps.log.warn({ inflight, waited_ms: Math.round(waited) }, 'uplink stalled; reconnecting');
    this.conn.drop('stall');
    try {
      this.deps.events?.emit('uplink_stall', {
        inflight,
        waited_s: Math.round(waited / 1000),
        stall_s: this.deps.config.stall_s,
      });
    } catch (e) {
      this.deps.log.error({ err: e }, 'cannot raise uplink_stall');
    }
    this.deps.onStall?.();
  }

  private drained(): boolean {
    if (this.drain.inflight > 0 || this.drain.liveQueued > 0 || this.side.summariesPending > 0) return false;
    try {
      const b = this.deps.outbox.backlog();
      return b.events === 0 && b.readings === 0;
    } catch {
      return true;
    }
  }

  /** Publishes the retained status on `client`; a failure is noted unless `gen` is given and gone. */
  private sendStatus(client: MqttClient, gen?: number): void {
    const payload = this.statusJson();
    this.conn.countBytes(payload);
    client.publish(this.topics.status, payload, { qos: 1, retain: true }, (err) => {
      if (err && (gen === undefined || this.conn.isCurrent(gen)))
        this.conn.noteError(`status publish failed: ${err.message}`);
    });
  }

  private statusJson(): string {
    let backlog = 0;
    try {
      const b = this.deps.outbox.backlog();
      backlog = b.events + b.readings;
    } catch {
      // status must go out even when the disk is in trouble
    }
    return statusPayload(this.deps.status(), this.deps.clock.now(), backlog);
  }
}
