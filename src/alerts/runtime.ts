import type { Logger } from 'pino';
import type { AlertContact, Config } from '../config/schema.js';
import type { LevelChange } from '../detect/types.js';
import {
  AlertError,
  type Clock,
  type EventSink,
  type Parsed,
  type Reading,
  SmsError,
} from '../domain/index.js';
import type { SmsGateway, SmsPoll } from '../ports/sms.js';
import type { AlertStore, MessageRow } from '../store/alerts.js';
import { errorMessage } from '../util/errors.js';
import { idFactory } from '../util/ids.js';
import { CapLog } from './cap-log.js';
import { Escalation, type EscalationState, supersede } from './escalation.js';
import { IncidentBook, type IncidentBookState, type IncidentChange } from './incidents.js';
import {
  FAILURE_RETRY_MS,
  HANDOVER_RETRY_MS,
  isUrgent,
  MAX_ATTEMPTS,
  messageRow,
  notificationText,
  rowNotification,
  smsTemplates,
  testText,
} from './messages.js';
import { maskPhone } from './sms-phone.js';
import { matchReply } from './sms-reply.js';
import type { AckChannel, Incident, IncidentPlace, Notification } from './types.js';
import type { IncidentView } from './view.js';
import { incidentView } from './view-build.js';

/**
 * Alerts for people at run time (issue 14): the engine's level changes become incidents, the
 * escalation decides who is told, messages go to gammu-smsd and their fate is read back, CAP
 * documents go to the centre and the disk, and acknowledgements (SMS reply, CLI, centre command,
 * guard-post button, web) stop the escalation. Every decision is kept in SQLite through the
 * group commit, so a restart carries on where it was (README, Alerts for people).
 */

/** The part that forwards incidents elsewhere (EarthRanger / Gundi). */
export interface RemoteIncidents {
  onChange(change: IncidentChange): void;
  status(): Record<string, unknown>;
}

export interface AlertsDeps {
  clock: Clock;
  log: Logger;
  events: EventSink;
  store: AlertStore;
  config: () => Config;
  /** Builds the SMS driver, told which hand-overs still await the daemon's verdict. */
  sms: (awaiting: string[]) => SmsGateway;
  /** Where the village and a zone are (CAP area, EarthRanger location). */
  place: (zone: string) => IncidentPlace;
  /** The zone a node stands in (the guard-post button acknowledges its zone's incident). */
  nodeZone: (node: string) => string | undefined;
  nodeType: (node: string) => Reading['type'] | undefined;
  remote?: RemoteIncidents;
}

/** How much of the past `siaga alerts` shows: closed incidents stay this long. */
const KEEP_CLOSED_MS = 24 * 3600_000;

export interface AlertsCounters {
  handedOver: number;
  sent: number;
  failed: number;
  handoverErrors: number;
  repliesAccepted: number;
  repliesRefused: number;
  superseded: number;
}

export class Alerts {
  private readonly book: IncidentBook;
  private readonly escalation: Escalation;
  private readonly caps: CapLog;
  private readonly sms: SmsGateway;
  /** Messages of the incidents in the book and unsettled older ones, by id. */
  private readonly messages = new Map<string, MessageRow>();
  private readonly newId = idFactory();
  private delivering = false;
  /** The hand-over under way: a stop waits for it, so what was handed over is recorded as such. */
  private delivery: Promise<void> | undefined;
  private redeliver = false;
  private polling: Promise<void> | undefined;
  private lastHandoverError: string | undefined;
  private readonly inboxResults = new Map<string, string>();
  readonly counters: AlertsCounters = {
    handedOver: 0,
    sent: 0,
    failed: 0,
    handoverErrors: 0,
    repliesAccepted: 0,
    repliesRefused: 0,
    superseded: 0,
  };

  constructor(private readonly deps: AlertsDeps) {
    const { clock, store } = deps;
    const cfg = deps.config();
    const bookOpts = {
      clock,
      zoneName: (zone: string) => cfg.zones.find((z) => z.id === zone)?.name,
      nodeType: deps.nodeType,
      keepClosedMs: KEEP_CLOSED_MS,
    };
    const incidents = store.loadIncidents(clock.now() - KEEP_CLOSED_MS);
    this.book = IncidentBook.restore({ incidents } satisfies IncidentBookState, bookOpts);
    const saved = store.loadEscalation() as EscalationState | undefined;
    this.escalation = saved
      ? Escalation.restore(saved, cfg.alerts, clock)
      : new Escalation(cfg.alerts, clock);
    const ids = incidents.map((i) => i.id);
    for (const m of [...store.loadMessages(ids), ...store.loadQueued()]) this.messages.set(m.id, m);
    this.caps = new CapLog({
      clock,
      log: deps.log,
      events: deps.events,
      store,
      config: deps.config,
      place: deps.place,
      history: store.loadCaps(ids),
    });
    const awaiting = [...this.messages.values()]
      .filter((m) => m.state === 'queued' && m.msgId !== undefined)
      .map((m) => m.msgId as string);
    this.sms = deps.sms(awaiting);
  }

  private get cfg() {
    return this.deps.config().alerts;
  }

  /** The engine's level changes, in order. */
  onLevelChanges(changes: readonly LevelChange[]): void {
    for (const c of changes) {
      const change = this.book.onLevel(c);
      if (change) this.apply(change);
    }
  }

  /** A guard-post panic button held (`btn p=2`) acknowledges its zone's open incident. */
  onReading(r: Reading): void {
    if (r.type !== 'btn' || r.v.p !== 2) return;
    const zone = this.deps.nodeZone(r.node);
    const open = zone === undefined ? undefined : this.book.openIn(zone);
    if (open === undefined) {
      this.deps.log.info(
        { node: r.node, zone },
        'acknowledge button held, but its zone has no open incident',
      );
      return;
    }
    const res = this.ack(open.id, r.node, 'button');
    if (!res.ok)
      this.deps.log.warn({ node: r.node, reason: res.detail ?? res.reason }, 'acknowledge button refused');
  }

  /** Acknowledges by code or incident id; the result says why not in words. */
  ack(codeOrId: string, by: string, channel: AckChannel): Parsed<Incident> {
    const res = this.book.ack(codeOrId, by, channel);
    if (!res.ok) return res;
    this.apply(res.value);
    return { ok: true, value: res.value.incident };
  }

  /** Escalation steps due by now, CAP renewals, deliveries; called every second or so. */
  tick(): void {
    const due = this.escalation.tick();
    if (due.length > 0) this.queue(due);
    for (const i of this.book.open()) this.caps.renewIfDue(i);
    this.saveEscalation();
    void this.deliver();
  }

  /** Reads back what gammu-smsd did (sent, failed) and the replies people sent. */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    let result: SmsPoll;
    try {
      result = await this.sms.poll();
    } catch (e) {
      this.noteHandoverError(e);
      return;
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
    for (const r of result.received) this.remember(r.id, this.onReply(r.from, r.text));
    void this.deliver();
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
    const inc = this.book.get(m.incident);
    // The next contact of the chain is told now rather than at its time: a dead phone costs no minutes.
    if (inc && m.attempts === 1) this.queue(this.escalation.failed(rowNotification(m, inc.code, inc.zone)));
    this.saveEscalation();
  }

  /** A reply acknowledges when it is `OK <code>` from a contact's number; anything else is refused. */
  private onReply(from: string, text: string): string {
    const match = matchReply(from, text, this.cfg.contacts);
    if (!match.ok) {
      this.counters.repliesRefused++;
      this.deps.events.emit('sms_refused', { from: maskPhone(match.from), reason: match.reason });
      this.deps.log.warn({ from: maskPhone(match.from), reason: match.reason }, 'SMS reply refused');
      return `refused (${match.reason}) from ${maskPhone(match.from)}`;
    }
    const contact = this.contact(match.contact);
    const res = this.ack(match.code, contact?.name ?? match.contact, 'sms');
    if (res.ok) {
      this.counters.repliesAccepted++;
      return `acknowledged incident ${res.value.code} in ${res.value.zoneName} by ${match.contact}`;
    }
    this.counters.repliesRefused++;
    const why = res.detail ?? res.reason;
    this.deps.events.emit('sms_refused', {
      from: maskPhone(from),
      reason: res.reason,
      contact: match.contact,
    });
    this.deps.log.warn({ contact: match.contact, reason: why }, 'SMS reply refused');
    return `refused: ${why}`;
  }

  private remember(id: string, result: string): void {
    this.inboxResults.set(id, result);
    // Only the last few matter (a RunOnReceive hook asks about the file it was just given).
    if (this.inboxResults.size > 100) {
      const first = this.inboxResults.keys().next().value;
      if (first !== undefined) this.inboxResults.delete(first);
    }
  }

  /** What became of a received message (its inbox file name), for `siaga alerts inbox`. */
  inboxResult(id: string): string {
    return (
      this.inboxResults.get(id) ??
      `no message "${id}" in the inbox (already read, or not a gammu-smsd inbox file)`
    );
  }

  /** One change of the book: stored, told to the centre, to CAP, to EarthRanger and to the escalation. */
  private apply(change: IncidentChange): void {
    const inc = change.incident;
    this.deps.store.putIncident(inc);
    if (change.kind === 'acked') {
      const { by, channel } = change.ack;
      this.deps.events.emit('ack', { incident: inc.id, zone: inc.zone, by, channel });
    } else {
      const { id, zone, level, code, state } = inc;
      this.deps.events.emit('incident', { incident: id, zone, level, code, state, change: change.kind });
    }
    // People first: the SMS is handed to the modem's daemon before the CAP file is written and
    // synced (an fsync on an SD card can take tens of milliseconds; bench A1).
    this.queue(this.escalation.apply(change));
    this.saveEscalation();
    void this.deliver();
    if (change.kind === 'acked') this.caps.ack(inc, change.ack);
    else this.caps.incident(inc);
    try {
      this.deps.remote?.onChange(change);
    } catch (e) {
      this.deps.log.warn({ err: e, incident: inc.id }, 'could not queue the incident for EarthRanger');
    }
  }

  /** Decisions become rows; a higher level supersedes queued lower ones of the same zone. */
  private queue(fresh: readonly Notification[]): void {
    if (fresh.length === 0) return;
    const waiting = new Map<Notification, MessageRow>();
    for (const m of this.messages.values()) {
      if (m.state !== 'queued' || m.msgId !== undefined || m.kind === 'test') continue;
      const inc = this.book.get(m.incident);
      if (inc) waiting.set(rowNotification(m, inc.code, inc.zone), m);
    }
    const kept = new Set(supersede([...waiting.keys()], fresh));
    const now = this.deps.clock.now();
    for (const [n, m] of waiting)
      if (!kept.has(n)) {
        this.update(m, { state: 'superseded', at: now });
        this.counters.superseded++;
      }
    const tz = this.deps.config().gateway.site.tz;
    const templates = smsTemplates(this.cfg.sms);
    for (const n of fresh) {
      const inc = this.book.get(n.incident);
      const contact = this.contact(n.contact);
      if (!inc || !contact) continue;
      const row = messageRow(this.newId(now), n, notificationText(n, inc, contact, tz, templates));
      this.messages.set(row.id, row);
      this.deps.store.putMessage(row);
    }
  }

  /** Hands every due queued message to the SMS driver, AWAS first. */
  private deliver(): Promise<void> {
    if (this.delivering) {
      this.redeliver = true;
      return this.delivery ?? Promise.resolve();
    }
    this.delivery = this.deliverAll();
    return this.delivery;
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
    const contact = this.contact(m.contact);
    const now = this.deps.clock.now();
    if (!contact) {
      this.update(m, { state: 'failed', at: now, reason: 'the contact is no longer in the config' });
      return true;
    }
    try {
      const msgId = await this.sms.send({
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

  private update(m: MessageRow, patch: Partial<MessageRow>): void {
    const next: MessageRow = { ...m, ...patch };
    this.messages.set(next.id, next);
    this.deps.store.putMessage(next);
  }

  private byMsgId(id: string): MessageRow | undefined {
    for (const m of this.messages.values()) if (m.msgId === id && m.state === 'queued') return m;
    return undefined;
  }

  private contact(id: string): AlertContact | undefined {
    return this.cfg.contacts.find((c) => c.id === id);
  }

  private saveEscalation(): void {
    this.deps.store.putEscalation(this.escalation.toJSON());
  }

  /** `siaga alerts test <contact>`: a TES SMS and a CAP Test document, both marked as tests. */
  async test(contactId: string): Promise<{ contact: string; sms: string; cap: string }> {
    const contact = this.contact(contactId);
    if (!contact) throw new AlertError(`no contact "${contactId}" in alerts.contacts`);
    const now = this.deps.clock.now();
    const text = testText(contact, now, this.deps.config().gateway.site.tz, smsTemplates(this.cfg.sms));
    const row: MessageRow = {
      id: this.newId(now),
      incident: `test-${contact.id}`,
      contact: contact.id,
      channel: 'sms',
      kind: 'test',
      level: 'NORMAL',
      state: 'queued',
      decided: now,
      at: now,
      text,
      attempts: 0,
      nextAt: now,
    };
    this.messages.set(row.id, row);
    this.deps.store.putMessage(row);
    const cap = this.caps.test(contact.id);
    this.deps.events.emit('alert_test', { contact: contact.id, cap: cap.identifier });
    await this.deliver();
    const sent = this.messages.get(row.id);
    if (sent?.msgId === undefined)
      throw new SmsError(
        'spool_missing',
        `the test SMS is queued but gammu-smsd's spool refused it: ${sent?.reason ?? 'unknown'}`,
      );
    return { contact: contact.id, sms: text, cap: cap.identifier };
  }

  /** Open incidents and those closed in the last 24 h, newest first. */
  list(): IncidentView[] {
    const all = [...this.book.open(), ...this.closed()].sort(
      (a, b) => b.opened - a.opened || (a.id < b.id ? 1 : -1),
    );
    return all.map((i) =>
      incidentView(
        i,
        [...this.messages.values()].filter((m) => m.incident === i.id && m.state !== 'superseded'),
        this.caps.of(i.id),
        this.escalation.track(i.id),
      ),
    );
  }

  private closed(): Incident[] {
    const state = this.book.toJSON();
    return state.incidents.filter((i) => i.state === 'closed');
  }

  /** Open incidents and delivery counters for `siaga status`. */
  status(): Record<string, unknown> {
    const rows = [...this.messages.values()];
    return {
      enabled: true,
      open: this.book
        .open()
        .map((i) => ({ id: i.id, zone: i.zone, level: i.level, code: i.code, state: i.state })),
      sms: {
        driver: this.cfg.sms.driver,
        queued: rows.filter((m) => m.state === 'queued' && m.msgId === undefined).length,
        awaiting_daemon: rows.filter((m) => m.state === 'queued' && m.msgId !== undefined).length,
        handed_over: this.counters.handedOver,
        sent: this.counters.sent,
        failed: this.counters.failed,
        handover_errors: this.counters.handoverErrors,
        replies_accepted: this.counters.repliesAccepted,
        replies_refused: this.counters.repliesRefused,
        last_error: this.lastHandoverError ?? null,
      },
      cap: this.caps.status(),
      ...(this.deps.remote ? { earthranger: this.deps.remote.status() } : {}),
    };
  }

  /** A reloaded config: contacts, policies and texts apply from the next decision on. */
  reconfigure(next: Config): void {
    this.escalation.setConfig(next.alerts);
  }

  async close(): Promise<void> {
    await this.delivery;
    await this.polling;
    await this.sms.close();
  }
}
