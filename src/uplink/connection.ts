import { performance } from 'node:perf_hooks';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { UplinkConfig } from '../config/schema.js';
import { redactUrl } from '../config/secrets.js';
import { Backoff } from '../util/backoff.js';
import { errorMessage } from '../util/errors.js';
import { withTimeout } from '../util/wait.js';
import { uplinkClientOptions, uplinkUrls } from './client-options.js';
import { failureCause } from './failure-cause.js';
import type { LiveLink, UplinkLink } from './link.js';
import { connectClient } from './stream-builder.js';

/** A connection that lived this long resets the backoff; a flapping one keeps growing it. */
const STABLE_MS = 30_000;

export type ConnectFn = (url: string, opts: IClientOptions) => MqttClient;

export interface UplinkConnectionDeps {
  config: UplinkConfig;
  gatewayId: string;
  log: Logger;
  statusTopic: string;
  /** Called on every CONNACK of the current attempt (the link is live by then). */
  onUp(client: MqttClient, gen: number): void;
  /** Called when the connection is dropped, before the old client is ended. */
  onDown(): void;
  /** A message that arrived on connection `gen`. */
  onMessage(topic: string, payload: Buffer, gen: number): void;
  connect?: ConnectFn;
  random?: () => number;
  connectTimeoutMs?: number;
}

/**
 * The uplink's MQTT connection. Reconnects are ours (MQTT.js `reconnectPeriod: 0`): a new client
 * per attempt after an exponential backoff with jitter, reset by a connection that stayed up for
 * `STABLE_MS`. Each attempt gets a new generation, so callbacks of an old client are ignored.
 *
 * `uplink.url` may be a failover list, an order of preference: each failed attempt moves on to the
 * next URL, after the list comes the first again, and every attempt waits its jittered backoff (a
 * crowd failing over from a dead broker node must not land on the next one all in the same second).
 * The link stays on whichever URL works; once that connection drops, the walk starts again at the
 * first URL, so a gateway returns to its primary broker when it is back.
 */
export class UplinkConnection implements UplinkLink {
  readonly mono = () => performance.now();
  private readonly backoff: Backoff;
  private client: MqttClient | undefined;
  private gen = 0;
  private everConnected = false;
  private connectedAtMono = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly urls: readonly string[];
  private urlIndex = 0;

  connected = false;
  stopped = false;
  lastError: string | null = null;
  /** `failureCause` of the last error of the current attempt, for the warning when it ends. */
  private lastCause: string | null = null;
  /** Successful connections after the first one. */
  reconnects = 0;
  bytesSent = 0;

  /** Connection attempts since the link was last stable (what `status` shows while reconnecting). */
  get attempts(): number {
    return this.backoff.attempts;
  }

  /** The broker URL in use (or being tried while disconnected), password redacted. */
  get url(): string {
    return redactUrl(this.urls[this.urlIndex] ?? '');
  }

  constructor(private readonly deps: UplinkConnectionDeps) {
    this.urls = uplinkUrls(deps.config);
    const { min_ms, max_ms } = deps.config.backoff;
    this.backoff = new Backoff({
      minMs: min_ms,
      maxMs: max_ms,
      jitter: 'full',
      ...(deps.random ? { random: deps.random } : {}),
    });
  }

  live(): LiveLink | undefined {
    return this.client && this.connected && !this.stopped
      ? { client: this.client, gen: this.gen }
      : undefined;
  }

  isCurrent(gen: number): boolean {
    return gen === this.gen;
  }

  drop(why: string): void {
    if (this.client) this.discard(this.client, why);
  }

  noteError(msg: string, cause = 'error'): void {
    this.lastError = msg;
    this.lastCause = cause;
    this.deps.log.debug({ err: msg, cause }, 'uplink error');
  }

  countBytes(payload: string | Uint8Array): void {
    this.bytesSent += typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  }

  /** Makes a connection attempt now (and keeps reconnecting until `close`). */
  connectNow(): void {
    this.reconnectTimer = undefined;
    if (this.stopped) return;
    const gen = ++this.gen;
    this.lastCause = null;
    const cfg = this.deps.config;
    let opts: IClientOptions;
    try {
      opts = uplinkClientOptions(
        cfg,
        this.deps.gatewayId,
        this.deps.statusTopic,
        this.deps.connectTimeoutMs ?? 15_000,
      );
    } catch (e) {
      this.noteError(`cannot read TLS files: ${errorMessage(e)}`, 'tls_files');
      this.attemptFailed();
      return;
    }
    let client: MqttClient;
    try {
      client = (this.deps.connect ?? connectClient)(this.urls[this.urlIndex] ?? '', opts);
    } catch (e) {
      this.noteError(`cannot connect: ${errorMessage(e)}`, failureCause(e));
      this.attemptFailed();
      return;
    }
    this.client = client;
    client.on('connect', () => this.onConnect(client, gen));
    client.on('message', (topic, payload) => this.deps.onMessage(topic, payload, gen));
    client.on('error', (err) => {
      if (gen === this.gen) this.noteError(err.message, failureCause(err));
    });
    client.on('close', () => this.onClose(client, gen));
  }

  /**
   * Stops reconnecting; when connected, publishes `offline()` on the status topic (retained, waiting
   * until `deadline` but at least 300 ms for its PUBACK) and disconnects cleanly. Never rejects.
   */
  async close(deadline: number, offline: () => string): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const c = this.client;
    this.client = undefined;
    this.gen++;
    if (!c) return;
    if (this.connected) {
      this.connected = false;
      const left = Math.max(300, deadline - this.mono());
      await withTimeout(
        new Promise<void>((resolve) => {
          c.publish(this.deps.statusTopic, offline(), { qos: 1, retain: true }, () => resolve());
        }),
        left,
      );
      await withTimeout(new Promise<void>((resolve) => c.end(false, {}, () => resolve())), 1000);
    }
    abandon(c);
  }

  private onConnect(client: MqttClient, gen: number): void {
    if (gen !== this.gen || this.stopped) return;
    this.connected = true;
    this.connectedAtMono = this.mono();
    if (this.everConnected) this.reconnects++;
    this.everConnected = true;
    this.deps.log.info({ url: this.url, reconnects: this.reconnects }, 'uplink connected');
    this.deps.onUp(client, gen);
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
    this.deps.onDown();
    abandon(client);
    // The cause goes into the warning itself: a technician reading the journal must not need
    // `siaga status` to learn whether it is the network, TLS or the credentials.
    if (!wasConnected) {
      this.attemptFailed();
      return;
    }
    const err = this.lastCause ? this.lastError : null;
    this.deps.log.warn({ url: this.url, why, err, cause: this.lastCause ?? why }, 'uplink disconnected');
    this.urlIndex = 0;
    if (this.mono() - this.connectedAtMono >= STABLE_MS && why !== 'stall') this.backoff.reset();
    this.scheduleReconnect();
  }

  /** An attempt that never got its CONNACK: warn, move on to the next URL of the list, back off. */
  private attemptFailed(): void {
    this.warnFailed();
    this.urlIndex = (this.urlIndex + 1) % this.urls.length;
    this.scheduleReconnect();
  }

  /** One warning per failed attempt (the backoff bounds how many), naming the cause. */
  private warnFailed(): void {
    this.deps.log.warn(
      {
        url: this.url,
        err: this.lastError,
        cause: this.lastCause ?? 'closed',
        attempt: this.backoff.attempts + 1,
      },
      'uplink connection failed',
    );
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const delay = this.backoff.next();
    this.deps.log.info(
      { url: this.url, delay_ms: delay, attempt: this.backoff.attempts },
      'uplink reconnect scheduled',
    );
    this.reconnectTimer = setTimeout(() => this.connectNow(), delay);
  }
}

/** Ends a client we no longer listen to, at once; its late errors are swallowed. */
function abandon(client: MqttClient): void {
  client.removeAllListeners();
  client.on('error', () => {});
  client.end(true);
}
