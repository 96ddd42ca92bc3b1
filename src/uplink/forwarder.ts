import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { monotonicFactory } from 'ulid';
import type { UplinkConfig } from '../config/schema.js';
import type { Clock, EventSink } from '../domain/index.js';
import type { Outbox, OutboxEventRow, OutboxReadingRow } from '../store/outbox.js';
import { Backoff } from './backoff.js';
import {
  type CommandResponse,
  deflatePayload,
  eventRowJson,
  type NodePayloadInput,
  nodePayload,
  OFFLINE_STATUS,
  offlineStatusPayload,
  readingsBatchJson,
  type StatusFields,
  statusPayload,
} from './payloads.js';
import { type UplinkTopics, uplinkTopics } from './topics.js';

export type ConnectFn = (url: string, opts: IClientOptions) => MqttClient;

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
  /** Handles a `cmd/req` payload; the answer is published on `cmd/res`. */
  onCommand?(payload: Buffer): Promise<CommandResponse | undefined>;
  /** Injectable for tests; defaults to MQTT.js `connect`. */
  connect?: ConnectFn;
  /** Injectable jitter source for the reconnect backoff. */
  random?: () => number;
  /**
   * How long a TCP/TLS connection may take to get its CONNACK (default 15 s). A broker that
   * accepts TCP but never answers (shutting down, overloaded) must not hold us for MQTT.js's 30 s.
   */
  connectTimeoutMs?: number;
}

export interface ForwarderState {
  connected: boolean;
  backlog: { events: number; readings: number };
  /** Batches (readings) or event groups published and waiting for their PUBACKs. */
  inflight: number;
  lastPubackTs: number | null;
  lastError: string | null;
  /** Successful connections after the first one. */
  reconnects: number;
  stalls: number;
  sentReadings: number;
  sentEvents: number;
  bytesSent: number;
}

interface Unit {
  kind: 'events' | 'readings';
  oids: number[];
  lastOid: number;
  /** PUBACKs still awaited (events go one message each). */
  pending: number;
}

/** Events fetched per unit: each is its own message, the unit is acked when all are. */
const EVENT_PAGE = 50;
/** A connection that lived this long resets the backoff; a flapping one keeps growing it. */
const STABLE_MS = 30_000;
/** Commands accepted per window before the rest are ignored (a flood must not fill the events table). */
const CMD_BURST = 20;
const CMD_WINDOW_MS = 10_000;

/**
 * Store-and-forward uplink: drains the SQLite outbox to the central broker, QoS 1, events before
 * readings, at most `max_inflight` units in flight. An outbox row is deleted only when its PUBACK
 * arrived; when a connection is lost, everything in flight is forgotten and sent again on the next
 * connection with the same ids (the centre de-duplicates by id).
 *
 * Reconnects are ours (MQTT.js `reconnectPeriod: 0`): a new client per attempt after an
 * exponential backoff with jitter. On every connect: retained status, subscribe `cmd/req`, then
 * drain. A watchdog drops a connection that has units in flight and no PUBACK for `stall_s`.
 */
export class Forwarder {
  private readonly topics: UplinkTopics;
  private readonly backoff: Backoff;
  private readonly ulid = monotonicFactory();
  private readonly mono = () => performance.now();

  private client: MqttClient | undefined;
  private gen = 0;
  private connected = false;
  private started = false;
  private stopped = false;
  private flushing = false;
  private everConnected = false;
  private connectedAtMono = 0;

  private readonly units = new Set<Unit>();
  private inflightSinceMono = 0;
  private lastPubackMono = 0;
  private partialSinceMono: number | undefined;

  private wakeScheduled = false;
  private pumping = false;
  private repump = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private partialTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;

  /** Latest retained payload per topic not yet PUBACKed (node states), and summaries to send. */
  private readonly pendingRetained = new Map<string, string>();
  private readonly pendingSummaries = new Map<string, string>();
  private cmdWindowStart = 0;
  private cmdCount = 0;

  private lastPubackTs: number | null = null;
  private lastError: string | null = null;
  private reconnects = 0;
  private stalls = 0;
  private sentReadings = 0;
  private sentEvents = 0;
  private bytesSent = 0;

  constructor(private readonly deps: ForwarderDeps) {
    this.topics = uplinkTopics(deps.gatewayId);
    const { min_ms, max_ms } = deps.config.backoff;
    this.backoff = new Backoff({
      minMs: min_ms,
      maxMs: max_ms,
      jitter: 'full',
      ...(deps.random ? { random: deps.random } : {}),
    });
  }

  /** Connects and starts draining. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const stallMs = this.deps.config.stall_s * 1000;
    this.watchdog = setInterval(() => this.checkStall(), Math.max(50, Math.min(1000, stallMs / 4)));
    this.watchdog.unref();
    this.connectNow();
  }

  /** New outbox rows committed: wake the drain loop (coalesced, cheap). */
  notify(): void {
    if (this.wakeScheduled || !this.connected) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.pump();
    });
  }

  /** Republishes the retained status (the gateway calls this on its heartbeat). */
  publishStatus(): void {
    const c = this.client;
    if (!c || !this.connected) return;
    const payload = this.statusJson();
    this.bytesSent += payload.length;
    c.publish(this.topics.status, payload, { qos: 1, retain: true }, (err) => {
      if (err) this.noteError(`status publish failed: ${err.message}`);
    });
  }

  /** Retained `nodes/<node>`; kept until PUBACKed, latest state wins while offline. */
  publishNode(n: NodePayloadInput): void {
    this.pendingRetained.set(this.topics.node(n.node), nodePayload(n));
    if (this.connected) this.flushSide();
  }

  /** Daily summary on `.../summary` (QoS 1, not retained); kept in memory until PUBACKed. */
  publishSummary(summary: { day: string } & Record<string, unknown>): void {
    this.pendingSummaries.set(summary.day, JSON.stringify(summary));
    if (this.connected) this.flushSide();
  }

  state(): ForwarderState {
    let backlog = { events: 0, readings: 0 };
    try {
      backlog = this.deps.outbox.backlog();
    } catch (e) {
      this.noteError(`cannot read backlog: ${errMsg(e)}`);
    }
    return {
      connected: this.connected,
      backlog,
      inflight: this.units.size,
      lastPubackTs: this.lastPubackTs,
      lastError: this.lastError,
      reconnects: this.reconnects,
      stalls: this.stalls,
      sentReadings: this.sentReadings,
      sentEvents: this.sentEvents,
      bytesSent: this.bytesSent,
    };
  }

  /**
   * Sends what is queued for up to `flushMs` (partial batches go at once), tells the centre the
   * gateway goes offline (retained), then disconnects cleanly. Never rejects.
   */
  async stop(flushMs = 5000): Promise<void> {
    if (this.stopped) return;
    const deadline = this.mono() + flushMs;
    this.flushing = true;
    this.pump();
    while (this.connected && this.mono() < deadline && !this.drained()) await sleep(20);
    this.stopped = true;
    this.clearTimers();
    const c = this.client;
    this.client = undefined;
    this.gen++;
    if (!c) return;
    if (this.connected) {
      this.connected = false;
      const left = Math.max(300, deadline - this.mono());
      await withTimeout(
        new Promise<void>((resolve) => {
          c.publish(
            this.topics.status,
            offlineStatusPayload(this.deps.clock.now()),
            { qos: 1, retain: true },
            () => resolve(),
          );
        }),
        left,
      );
      await withTimeout(new Promise<void>((resolve) => c.end(false, {}, () => resolve())), 1000);
    }
    c.removeAllListeners();
    c.on('error', () => {});
    c.end(true);
  }

  // ---------------------------------------------------------------- connection

  private connectNow(): void {
    this.reconnectTimer = undefined;
    if (this.stopped) return;
    const gen = ++this.gen;
    const cfg = this.deps.config;
    let opts: IClientOptions;
    try {
      opts = {
        clientId: cfg.client_id ?? `siaga-${this.deps.gatewayId}`,
        protocolVersion: cfg.protocol_version,
        keepalive: cfg.keepalive_s,
        reconnectPeriod: 0,
        connectTimeout: this.deps.connectTimeoutMs ?? 15_000,
        clean: true,
        will: { topic: this.topics.status, payload: Buffer.from(OFFLINE_STATUS), qos: 1, retain: true },
        ...(cfg.username !== undefined ? { username: cfg.username } : {}),
        ...(cfg.password !== undefined ? { password: cfg.password } : {}),
        // Read on every connect, so a renewed certificate is picked up without a restart.
        ...(cfg.ca_file ? { ca: readFileSync(cfg.ca_file) } : {}),
        ...(cfg.cert_file ? { cert: readFileSync(cfg.cert_file) } : {}),
        ...(cfg.key_file ? { key: readFileSync(cfg.key_file) } : {}),
      };
    } catch (e) {
      this.noteError(`cannot read TLS files: ${errMsg(e)}`);
      this.scheduleReconnect();
      return;
    }
    let client: MqttClient;
    try {
      client = (this.deps.connect ?? mqtt.connect)(cfg.url, opts);
    } catch (e) {
      this.noteError(`cannot connect: ${errMsg(e)}`);
      this.scheduleReconnect();
      return;
    }
    this.client = client;
    client.on('connect', () => this.onConnect(client, gen));
    client.on('message', (topic, payload) => this.onMessage(topic, payload, gen));
    client.on('error', (err) => {
      if (gen === this.gen) this.noteError(err.message);
    });
    client.on('close', () => this.onClose(client, gen));
  }

  private onConnect(client: MqttClient, gen: number): void {
    if (gen !== this.gen || this.stopped) return;
    this.connected = true;
    this.connectedAtMono = this.mono();
    if (this.everConnected) this.reconnects++;
    this.everConnected = true;
    this.deps.log.info({ url: this.deps.config.url, reconnects: this.reconnects }, 'uplink connected');
    // Status first, so the centre sees us online before the backlog arrives.
    const status = this.statusJson();
    this.bytesSent += status.length;
    client.publish(this.topics.status, status, { qos: 1, retain: true }, (err) => {
      if (err && gen === this.gen) this.noteError(`status publish failed: ${err.message}`);
    });
    // A broker that restarted without our session forgot the subscription: make it again every time.
    client.subscribe(this.topics.cmdReq, { qos: 1 }, (err, granted) => {
      if (gen !== this.gen) return;
      if (err) this.noteError(`subscribe ${this.topics.cmdReq} failed: ${err.message}`);
      else if (granted?.some((g) => g.qos === 128)) this.noteError(`subscribe ${this.topics.cmdReq} refused`);
    });
    this.flushSide();
    this.pump();
  }

  private onClose(client: MqttClient, gen: number): void {
    if (gen !== this.gen) return;
    this.discard(client, 'connection closed');
  }

  /** Forgets the connection and everything in flight (it is resent later), then reconnects. */
  private discard(client: MqttClient, why: string): void {
    const wasConnected = this.connected;
    this.gen++;
    this.client = undefined;
    this.connected = false;
    this.units.clear();
    this.partialSinceMono = undefined;
    client.removeAllListeners();
    client.on('error', () => {});
    client.end(true);
    if (wasConnected) this.deps.log.warn({ why }, 'uplink disconnected');
    if (wasConnected && this.mono() - this.connectedAtMono >= STABLE_MS && why !== 'stall')
      this.backoff.reset();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const delay = this.backoff.next();
    this.deps.log.info({ delay_ms: delay, attempt: this.backoff.attempts }, 'uplink reconnect scheduled');
    this.reconnectTimer = setTimeout(() => this.connectNow(), delay);
  }

  private checkStall(): void {
    if (!this.connected || this.units.size === 0 || !this.client) return;
    const since = Math.max(this.inflightSinceMono, this.lastPubackMono);
    const waited = this.mono() - since;
    if (waited < this.deps.config.stall_s * 1000) return;
    this.stalls++;
    const inflight = this.units.size;
    this.noteError(`no PUBACK for ${Math.round(waited / 1000)} s with ${inflight} batches in flight`);
    this.deps.log.warn({ inflight, waited_ms: Math.round(waited) }, 'uplink stalled; reconnecting');
    this.discard(this.client, 'stall');
    try {
      this.deps.events?.emit('uplink_stall', {
        inflight,
        waited_s: Math.round(waited / 1000),
        stall_s: this.deps.config.stall_s,
      });
    } catch (e) {
      this.deps.log.error({ err: errMsg(e) }, 'cannot raise uplink_stall');
    }
    this.deps.onStall?.();
  }

  // ---------------------------------------------------------------- drain

  private drained(): boolean {
    if (this.units.size > 0 || this.pendingSummaries.size > 0) return false;
    try {
      const b = this.deps.outbox.backlog();
      return b.events === 0 && b.readings === 0;
    } catch {
      return true;
    }
  }

  private cursor(kind: Unit['kind']): number {
    let max = 0;
    for (const u of this.units) if (u.kind === kind && u.lastOid > max) max = u.lastOid;
    return max;
  }

  /** Fills free in-flight slots: events first, then readings in full batches (or partial after max_delay_ms). */
  private pump(): void {
    if (this.pumping) {
      this.repump = true;
      return;
    }
    if (!this.connected || this.stopped) return;
    this.pumping = true;
    this.repump = false;
    const { max_inflight } = this.deps.config;
    const { max_readings, max_delay_ms } = this.deps.config.batch;
    try {
      while (this.units.size < max_inflight && this.connected) {
        const events = this.deps.outbox.nextEvents(EVENT_PAGE, this.cursor('events'));
        if (events.length > 0) {
          this.sendEvents(events);
          continue;
        }
        const after = this.cursor('readings');
        const queued = this.deps.outbox.countReadings(after, max_readings);
        if (queued === 0) {
          this.partialSinceMono = undefined;
          break;
        }
        if (queued < max_readings && !this.flushing) {
          const now = this.mono();
          this.partialSinceMono ??= now;
          const wait = max_delay_ms - (now - this.partialSinceMono);
          if (wait > 0) {
            this.armPartialTimer(wait);
            break;
          }
        }
        const rows = this.deps.outbox.nextReadings(max_readings, after);
        if (rows.length === 0) continue; // only pruned orphans, now cleaned
        if (rows.length < max_readings) this.partialSinceMono = undefined;
        this.sendReadings(rows);
      }
    } catch (e) {
      // Storage trouble (disk, lock): try again shortly; nothing in flight is lost.
      this.noteError(`cannot read outbox: ${errMsg(e)}`);
      if (!this.retryTimer) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.pump();
        }, 1000);
      }
    } finally {
      this.pumping = false;
    }
    if (this.repump) {
      this.repump = false;
      this.pump();
    }
  }

  private armPartialTimer(ms: number): void {
    if (this.partialTimer) return;
    this.partialTimer = setTimeout(() => {
      this.partialTimer = undefined;
      this.pump();
    }, ms);
  }

  private addUnit(u: Unit): void {
    if (this.units.size === 0) this.inflightSinceMono = this.mono();
    this.units.add(u);
  }

  private sendEvents(rows: OutboxEventRow[]): void {
    const client = this.client!;
    const gen = this.gen;
    const unit: Unit = {
      kind: 'events',
      oids: rows.map((r) => r.oid),
      lastOid: rows.at(-1)!.oid,
      pending: rows.length,
    };
    this.addUnit(unit);
    for (const row of rows) {
      const json = eventRowJson(row, this.deps.villageCode);
      this.bytesSent += Buffer.byteLength(json);
      client.publish(this.topics.events, json, { qos: 1 }, (err) => this.onPuback(unit, gen, err));
    }
  }

  private sendReadings(rows: OutboxReadingRow[]): void {
    const client = this.client!;
    const gen = this.gen;
    const json = readingsBatchJson(this.deps.gatewayId, this.ulid(), rows);
    const deflate = this.deps.config.compress === 'deflate';
    const payload = deflate ? deflatePayload(json) : json;
    const unit: Unit = {
      kind: 'readings',
      oids: rows.map((r) => r.oid),
      lastOid: rows.at(-1)!.oid,
      pending: 1,
    };
    this.addUnit(unit);
    this.bytesSent += typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    client.publish(deflate ? this.topics.readingsZ : this.topics.readings, payload, { qos: 1 }, (err) =>
      this.onPuback(unit, gen, err),
    );
  }

  private onPuback(unit: Unit, gen: number, err: Error | undefined): void {
    if (gen !== this.gen || !this.units.has(unit)) return;
    if (err) {
      this.noteError(`publish refused: ${err.message}`);
      if (this.client) this.discard(this.client, 'publish error');
      return;
    }
    if (--unit.pending > 0) return;
    this.units.delete(unit);
    this.lastPubackMono = this.mono();
    this.lastPubackTs = this.deps.clock.now();
    try {
      this.deps.outbox.ack(unit.kind, unit.oids);
    } catch (e) {
      // Not deleted: sent again later with the same ids, which the centre drops as duplicates.
      this.noteError(`cannot ack outbox rows: ${errMsg(e)}`);
    }
    if (unit.kind === 'events') this.sentEvents += unit.oids.length;
    else this.sentReadings += unit.oids.length;
    this.pump();
  }

  /** Retained node states and summaries, outside the outbox (small, latest wins). */
  private flushSide(): void {
    const client = this.client;
    if (!client || !this.connected) return;
    const gen = this.gen;
    for (const [topic, payload] of this.pendingRetained) {
      this.bytesSent += payload.length;
      client.publish(topic, payload, { qos: 1, retain: true }, (err) => {
        if (!err && gen === this.gen && this.pendingRetained.get(topic) === payload)
          this.pendingRetained.delete(topic);
      });
    }
    for (const [day, payload] of this.pendingSummaries) {
      this.bytesSent += payload.length;
      client.publish(this.topics.summary, payload, { qos: 1 }, (err) => {
        if (!err && gen === this.gen && this.pendingSummaries.get(day) === payload)
          this.pendingSummaries.delete(day);
      });
    }
  }

  // ---------------------------------------------------------------- commands

  private onMessage(topic: string, payload: Buffer, gen: number): void {
    if (gen !== this.gen || topic !== this.topics.cmdReq || !this.deps.onCommand) return;
    const now = this.mono();
    if (now - this.cmdWindowStart > CMD_WINDOW_MS) {
      this.cmdWindowStart = now;
      this.cmdCount = 0;
    }
    if (++this.cmdCount > CMD_BURST) {
      if (this.cmdCount === CMD_BURST + 1)
        this.deps.log.warn('too many commands; ignoring the rest of this window');
      return;
    }
    this.deps
      .onCommand(payload)
      .then((res) => {
        const c = this.client;
        if (!res || !c || !this.connected) return;
        c.publish(this.topics.cmdRes, JSON.stringify(res), { qos: 1 });
      })
      .catch((e: unknown) => this.deps.log.error({ err: errMsg(e) }, 'command handler failed'));
  }

  // ---------------------------------------------------------------- helpers

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

  private noteError(msg: string): void {
    this.lastError = msg;
    this.deps.log.debug({ err: msg }, 'uplink error');
  }

  private clearTimers(): void {
    for (const t of [this.reconnectTimer, this.partialTimer, this.retryTimer]) if (t) clearTimeout(t);
    if (this.watchdog) clearInterval(this.watchdog);
    this.reconnectTimer = this.partialTimer = this.retryTimer = this.watchdog = undefined;
  }
}

function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<void>((r) => (t = setTimeout(r, ms)))]).finally(() => clearTimeout(t));
}
