import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { type Clock, DeliveryError, isSiagaError } from '../domain/index.js';
import type { Db } from '../store/db.js';
import { RemoteQueue, type RemoteRow } from '../store/remote-queue.js';
import { backoffCap } from '../util/backoff.js';
import { errorMessage } from '../util/errors.js';
import { exchange } from './earthranger-http.js';
import {
  createdId,
  type RemoteFacts,
  type RemoteTarget,
  remoteFacts,
  remoteRequest,
} from './earthranger-payload.js';
import type { IncidentChange } from './incidents.js';
import type { IncidentPlace } from './types.js';

export type EarthRangerConfig = Config['alerts']['earthranger'];

export interface EarthRangerOptions {
  db: Db;
  /** The `alerts.earthranger` section. */
  config: EarthRangerConfig;
  /** The token or API key, `token_file` already read; default: the section's `token`. */
  token?: string | undefined;
  /** Where a zone is: its centre becomes the event's location. */
  place: (zone: string) => IncidentPlace;
  clock: Clock;
  log: Logger;
  /** Default: Node's built-in fetch. Tests pass one whose dispatcher trusts their CA. */
  fetch?: typeof fetch;
  /** Gundi's `source`: the gateway id (the zone is appended). Default `siaga`. */
  source?: string;
  /** One request's limit, answer included. Default 20 s. */
  timeoutMs?: number;
  /** Retry delays: full jitter between these (ms). Default 5 s … 10 min. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** [0, 1), for the jitter; default Math.random. */
  random?: () => number;
}

/** A type, not an interface, so it is a `Record<string, unknown>` for the alerts runtime's status. */
export type EarthRangerStatus = {
  enabled: boolean;
  mode: 'er' | 'gundi';
  /** Changes waiting to go out. */
  queued: number;
  /** Changes the server refused for good (400/404/422), kept with its words until the config changes. */
  parked: number;
  /** Requests the server took since start. */
  sent: number;
  /** Requests that failed since start (each retry counts). */
  failed_attempts: number;
  /** The server refuses the token: nothing goes out until it is fixed. */
  token_refused: boolean;
  last_error: string | null;
  /** ISO time of the last request the server took. */
  last_ok: string | null;
};

const TARGET = 'earthranger';
/** How many incidents' requests are in flight at once: a slow one must not hold back the others. */
const PARALLEL = 4;

/**
 * EarthRanger / Gundi delivery of incidents (issue 14.5). Each change is queued in SQLite at once
 * (`onChange`) and sent from there: a change is never lost to a dead link, a restart or a refused
 * token. The first request of an incident creates the event, later ones PATCH the id the server
 * gave; an incident's requests go strictly in order, different incidents independently.
 *
 * What the server says decides what happens to a request:
 * - 2xx: done (the id of a new event is stored in the same commit);
 * - 401/403: the token is refused; said once in the log and in status, the request stays queued
 *   and is tried again (slowly) until the operator fixes the token (`reconfigure` retries at once);
 * - 408/429/5xx, a timeout, no connection: retried with jittered exponential backoff;
 * - any other 4xx (400, 404, 422: the event_type does not exist on the server, a field it
 *   refuses): parked as failed with the server's words, counted and logged, and queued again when
 *   the config changes — never dropped.
 */
export class EarthRangerSync {
  private config: EarthRangerConfig;
  private token: string | undefined;
  private readonly queue: RemoteQueue;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;
  /** Changes the disk refused to take: kept here and written again at the next pass. */
  private readonly unsaved: { incident: string; facts: string; at: number }[] = [];
  private readonly inFlight = new Set<string>();
  private readonly aborts = new Set<AbortController>();
  private running: Promise<void> | undefined;
  private again = false;
  /** The last pass delivered nothing. */
  private idle = false;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private sent = 0;
  private failedAttempts = 0;
  private lastError: string | null = null;
  private lastOk: number | null = null;
  private tokenRefused = false;

  constructor(private readonly opts: EarthRangerOptions) {
    this.config = opts.config;
    this.token = opts.token ?? opts.config.token;
    this.queue = new RemoteQueue(opts.db, TARGET);
    this.fetch = opts.fetch ?? globalThis.fetch;
    this.timeoutMs = opts.timeoutMs ?? 20_000;
    this.minMs = opts.retryMinMs ?? 5_000;
    this.maxMs = Math.max(this.minMs, opts.retryMaxMs ?? 600_000);
    this.random = opts.random ?? Math.random;
  }

  /** Queues the change, committed before this returns; sending happens in the background. */
  onChange(change: IncidentChange): void {
    if (!this.config.enabled) return;
    const now = this.opts.clock.now();
    const facts = remoteFacts(change, this.opts.place(change.incident.zone), now);
    this.unsaved.push({ incident: facts.incident, facts: JSON.stringify(facts), at: now });
    this.saveUnsaved();
    this.kick();
  }

  start(): void {
    this.started = true;
    this.kick();
  }

  /** Stops sending and aborts requests in flight (they stay queued); resolves when all have ended. */
  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const ac of this.aborts) ac.abort(new DeliveryError('unavailable', 'the gateway is stopping'));
    await this.running;
  }

  /**
   * A new `alerts.earthranger` section (config reload). The operator changed something: a refused
   * token is tried again, parked requests are queued again, and everything due goes out at once.
   */
  reconfigure(config: EarthRangerConfig, token: string | undefined = config.token): void {
    const changed =
      JSON.stringify({ ...config, token: undefined }) !==
        JSON.stringify({ ...this.config, token: undefined }) || token !== this.token;
    this.config = config;
    this.token = token;
    if (!changed) return;
    this.tokenRefused = false;
    try {
      const now = this.opts.clock.now();
      const back = this.queue.unpark(now);
      this.queue.dueNow(now);
      if (back > 0)
        this.opts.log.info({ requests: back }, 'config changed: refused EarthRanger requests queued again');
    } catch (err) {
      this.opts.log.warn({ err }, 'cannot requeue EarthRanger requests');
    }
    this.kick();
  }

  status(): EarthRangerStatus {
    let counts = { queued: 0, failed: 0 };
    try {
      counts = this.queue.counts();
    } catch {
      // The disk is failing: what made it fail is already in last_error and the log.
    }
    return {
      enabled: this.config.enabled,
      mode: this.config.mode,
      queued: counts.queued + this.unsaved.length,
      parked: counts.failed,
      sent: this.sent,
      failed_attempts: this.failedAttempts,
      token_refused: this.tokenRefused,
      last_error: this.lastError,
      last_ok: this.lastOk === null ? null : new Date(this.lastOk).toISOString(),
    };
  }

  /** Runs a pass now, or right after the one running. */
  private kick(): void {
    if (!this.started) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.pass()
      .catch((err: unknown) => this.opts.log.warn({ err }, 'EarthRanger delivery pass failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        } else {
          this.schedule();
        }
      });
  }

  private saveUnsaved(): void {
    while (this.unsaved.length > 0) {
      const u = this.unsaved[0];
      if (u === undefined) break;
      try {
        this.queue.enqueue(u.incident, u.facts, u.at);
      } catch (err) {
        this.lastError = errorMessage(err);
        this.opts.log.warn(
          { err, incident: u.incident },
          'cannot queue the EarthRanger event on disk; kept in memory',
        );
        return;
      }
      this.unsaved.shift();
    }
  }

  private target(): RemoteTarget | undefined {
    const { url, mode, event_type } = this.config;
    if (!this.config.enabled || url === undefined || this.token === undefined) return undefined;
    return { mode, url, token: this.token, eventType: event_type, source: this.opts.source ?? 'siaga' };
  }

  /** Sends every due head row, a few incidents at a time. */
  private async pass(): Promise<void> {
    this.saveUnsaved();
    const t = this.target();
    if (t === undefined) return;
    let heads: RemoteRow[];
    try {
      heads = this.queue.heads();
    } catch (err) {
      this.lastError = errorMessage(err);
      this.opts.log.warn({ err }, 'cannot read the EarthRanger queue');
      return;
    }
    const now = this.opts.clock.now();
    const due = heads.filter((r) => r.nextAt <= now && !this.inFlight.has(r.incident));
    let progress = false;
    for (let i = 0; i < due.length && this.started; i += PARALLEL) {
      const done = await Promise.all(due.slice(i, i + PARALLEL).map((r) => this.deliver(t, r)));
      progress ||= done.includes(true);
    }
    // What was sent may have made the next row of an incident due at once.
    if (progress && this.started) this.again = true;
    this.idle = !progress;
  }

  private schedule(): void {
    if (!this.started || this.target() === undefined) return;
    let next: number | undefined;
    try {
      next = this.queue.heads(1)[0]?.nextAt;
    } catch {
      next = this.opts.clock.now() + this.minMs;
    }
    if (this.unsaved.length > 0) next = this.opts.clock.now() + this.minMs;
    if (next === undefined) return;
    // A pass that moved nothing (the disk refuses the bookkeeping) must not spin: wait a little.
    const floor = this.idle ? this.minMs : 0;
    const wait = Math.max(floor, Math.min(next - this.opts.clock.now(), this.maxMs));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, wait);
    this.timer.unref();
  }

  /** True when the server took the request. */
  private async deliver(t: RemoteTarget, row: RemoteRow): Promise<boolean> {
    this.inFlight.add(row.incident);
    const server = `${t.mode} ${t.url}`;
    try {
      const facts = JSON.parse(row.facts) as RemoteFacts;
      const remoteId = this.queue.remoteId(server, row.incident);
      const answer = await exchange(remoteRequest(t, facts, remoteId), t.url, {
        fetch: this.fetch,
        timeoutMs: this.timeoutMs,
        maxMs: this.maxMs,
        aborts: this.aborts,
      });
      const newId = remoteId === undefined ? createdId(t.mode, answer) : undefined;
      if (remoteId === undefined && newId === undefined)
        throw new DeliveryError('no_id', 'the server took the event but answered without its id');
      const now = this.opts.clock.now();
      this.queue.delivered(
        row.qid,
        newId === undefined ? undefined : { server, incident: row.incident, remoteId: newId, now },
      );
      this.sent++;
      this.lastOk = now;
      if (this.tokenRefused) this.opts.log.info('EarthRanger takes the token again');
      this.tokenRefused = false;
      this.opts.log.debug(
        { incident: row.incident, remoteId: remoteId ?? newId },
        'EarthRanger event delivered',
      );
      return true;
    } catch (err) {
      if (
        !this.started &&
        err instanceof DeliveryError &&
        err.reason === 'unavailable' &&
        err.status === undefined
      ) {
        return false; // aborted by stop(): not the server's fault, and not an attempt
      }
      this.failed(row, err);
      return false;
    } finally {
      this.inFlight.delete(row.incident);
    }
  }

  private failed(row: RemoteRow, err: unknown): void {
    this.failedAttempts++;
    const message = errorMessage(err);
    this.lastError = message;
    const reason = err instanceof DeliveryError ? err.reason : isSiagaError(err) ? 'storage' : 'bad_row';
    const now = this.opts.clock.now();
    try {
      if (reason === 'refused' || reason === 'no_id' || reason === 'bad_row') {
        this.queue.park(row.qid, message);
        this.opts.log.warn(
          { err, incident: row.incident },
          'EarthRanger refused the event; it is kept as failed until the config is fixed',
        );
        return;
      }
      if (reason === 'token_refused') {
        if (!this.tokenRefused)
          this.opts.log.warn(
            { err },
            'EarthRanger refused the token: fix alerts.earthranger.token_file; events stay queued until then',
          );
        this.tokenRefused = true;
        this.queue.retryAt(row.qid, now + this.maxMs, message);
        return;
      }
      const retryAfter =
        err instanceof DeliveryError ? (err.cause as { retryAfterMs?: number })?.retryAfterMs : 0;
      const cap = backoffCap(row.attempts, this.minMs, this.maxMs);
      const delay = Math.max(retryAfter ?? 0, Math.round(this.minMs + this.random() * (cap - this.minMs)));
      this.queue.retryAt(row.qid, now + delay, message);
      const log = row.attempts === 0 || row.attempts % 10 === 9 ? 'warn' : 'debug';
      this.opts.log[log](
        { err, incident: row.incident, attempts: row.attempts + 1, retryMs: delay },
        'EarthRanger unreachable; will retry',
      );
    } catch (e) {
      // The disk refused the bookkeeping: the row is still queued as it was and goes again.
      this.opts.log.warn({ err: e }, 'cannot record the EarthRanger delivery state');
    }
  }
}
