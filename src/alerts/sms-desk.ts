import type { Logger } from 'pino';
import type { AlertContact } from '../config/schema.js';
import { type Clock, type EventSink, SmsError } from '../domain/index.js';
import type { SmsGateway, SmsPoll } from '../ports/sms.js';
import type { AlertStore, MessageRow } from '../store/alerts.js';
import { errorMessage } from '../util/errors.js';
import { FAILURE_RETRY_MS, HANDOVER_RETRY_MS, isUrgent, MAX_ATTEMPTS } from './messages.js';

/** Delivery counters, shown by `siaga status` with the reply counters of the alerts runtime. */
export interface SmsCounters {
  handedOver: number;
  sent: number;
  failed: number;
  handoverErrors: number;
}

export interface SmsDeskDeps {
  clock: Clock;
  log: Logger;
  events: EventSink;
  store: AlertStore;
  sms: SmsGateway;
  contact(id: string): AlertContact | undefined;
  /** A message failed for the first time: the escalation may tell the next contact at once. */
  onFirstFailure(m: MessageRow): void;
}

/**
 * The SMS messages of the alerts and their fate: every decision is a row in SQLite (through the
 * group commit), handed to gammu-smsd AWAS first, retried when the spool refuses, and settled by
 * what the daemon reports back (sent, failed). Never dropped: a message is failed only by the
 * daemon's verdict after MAX_ATTEMPTS, a refused recipient or a contact that left the config.
 */
export class SmsDesk {
  /** Messages of the incidents in the book and unsettled older ones, by id. */
  readonly messages = new Map<string, MessageRow>();
  private delivering = false;
  /** The hand-over under way: a stop waits for it, so what was handed over is recorded as such. */
  private delivery: Promise<void> | undefined;
  private redeliver = false;
  lastHandoverError: string | undefined;

  constructor(
    private readonly deps: SmsDeskDeps,
    readonly counters: SmsCounters,
  ) {}

  /** Hand-overs that still await the daemon's verdict (its message ids). */
  awaiting(): string[] {
    return [...this.messages.values()]
      .filter((m) => m.state === 'queued' && m.msgId !== undefined)
      .map((m) => m.msgId as string);
  }

  /** A new message: kept and stored, handed over on the next `deliver`. */
  add(row: MessageRow): void {
    this.messages.set(row.id, row);
    this.deps.store.putMessage(row);
  }

  update(m: MessageRow, patch: Partial<MessageRow>): void {
    const next: MessageRow = { ...m, ...patch };
    this.messages.set(next.id, next);
    this.deps.store.putMessage(next);
  }

  /** Reads back what gammu-smsd did; returns the replies people sent (undefined: the daemon could not be read). */
  async poll(): Promise<SmsPoll['received'] | undefined> {
    let result: SmsPoll;
    try {
      result = await this.deps.sms.poll();
    } catch (e) {
      this.noteHandoverError(e);
      return undefined;
    }
    const now = this.deps.clock.now();
    for (const id of result.delivered) {
      const m = this.byMsgId(id);
      if (!m) continue;
      this.update(m, { state: 'sent', at: now });
      this.counters.sent++;
    }
    for (const f of result.failed) {
      const m = this.byMsgId(f.id);
      if (m) this.onFailed(m, f.reason);
    }
    return result.received;
  }

  /** Hands every due queued message to the SMS driver, AWAS first. */
  deliver(): Promise<void> {
    if (this.delivering) {
      this.redeliver = true;
      return this.delivery ?? Promise.resolve();
    }
    this.delivery = this.deliverAll();
    return this.delivery;
  }

  /** The `sms` part of `siaga status`. */
  status(driver: string, replies: { accepted: number; refused: number }): Record<string, unknown> {
    const rows = [...this.messages.values()];
    return {
      driver,
      queued: rows.filter((m) => m.state === 'queued' && m.msgId === undefined).length,
      awaiting_daemon: rows.filter((m) => m.state === 'queued' && m.msgId !== undefined).length,
      handed_over: this.counters.handedOver,
      sent: this.counters.sent,
      failed: this.counters.failed,
      handover_errors: this.counters.handoverErrors,
      replies_accepted: replies.accepted,
      replies_refused: replies.refused,
      last_error: this.lastHandoverError ?? null,
    };
  }

  async close(): Promise<void> {
    await this.delivery;
    await this.deps.sms.close();
  }

  private onFailed(m: MessageRow, reason: string): void {
    const now = this.deps.clock.now();
    const final = m.attempts >= MAX_ATTEMPTS;
    const { msgId: _, ...rest } = m; // handed over again later, under a new id
    this.update(rest, {
      state: final ? 'failed' : 'queued',
      at: now,
      nextAt: now + FAILURE_RETRY_MS * m.attempts,
      reason,
    });
    this.reportFailure(m, final, reason);
    if (m.attempts === 1) this.deps.onFirstFailure(m);
  }

  private async deliverAll(): Promise<void> {
    this.delivering = true;
    try {
      do {
        this.redeliver = false;
        const now = this.deps.clock.now();
        const due = [...this.messages.values()]
          .filter((m) => m.state === 'queued' && m.msgId === undefined && m.nextAt <= now)
          .sort((a, b) => Number(isUrgent(b)) - Number(isUrgent(a)) || a.decided - b.decided);
        for (const m of due) {
          if (!(await this.handOver(m))) break;
        }
      } while (this.redeliver);
    } finally {
      this.delivering = false;
    }
  }

  private async handOver(m: MessageRow): Promise<boolean> {
    const contact = this.deps.contact(m.contact);
    const now = this.deps.clock.now();
    if (!contact) {
      this.update(m, { state: 'failed', at: now, reason: 'the contact is no longer in the config' });
      return true;
    }
    try {
      const msgId = await this.deps.sms.send({
        to: contact.phone,
        text: m.text,
        priority: isUrgent(m) ? 'urgent' : 'normal',
      });
      this.update(m, { msgId, attempts: m.attempts + 1, at: this.deps.clock.now() });
      this.counters.handedOver++;
      if (this.lastHandoverError !== undefined) {
        this.deps.log.info('SMS spool takes messages again');
        this.lastHandoverError = undefined;
      }
      return true;
    } catch (e) {
      // Kept queued: retried, never dropped. A refused recipient is the message's own fault.
      if (e instanceof SmsError && (e.reason === 'bad_recipient' || e.reason === 'bad_text')) {
        this.update(m, { state: 'failed', at: now, reason: e.message });
        this.reportFailure(m, true, e.message);
        return true;
      }
      this.update(m, { nextAt: now + HANDOVER_RETRY_MS, reason: errorMessage(e) });
      this.noteHandoverError(e);
      return false;
    }
  }

  private noteHandoverError(e: unknown): void {
    this.counters.handoverErrors++;
    const msg = errorMessage(e);
    if (msg !== this.lastHandoverError)
      this.deps.log.error({ err: e }, 'cannot hand SMS to gammu-smsd; messages stay queued and are retried');
    this.lastHandoverError = msg;
  }

  /** A message that did not reach its contact: counted, an `sms_failed` event, a line in the log. */
  private reportFailure(m: MessageRow, final: boolean, reason: string): void {
    this.counters.failed++;
    const fields = { incident: m.incident, contact: m.contact, attempt: m.attempts, final, reason };
    this.deps.events.emit('sms_failed', fields);
    this.deps.log.warn(fields, 'SMS not delivered');
  }

  private byMsgId(id: string): MessageRow | undefined {
    for (const m of this.messages.values()) if (m.msgId === id && m.state === 'queued') return m;
    return undefined;
  }
}
