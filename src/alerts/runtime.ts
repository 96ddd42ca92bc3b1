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
import type { SmsGateway } from '../ports/sms.js';
import type { AlertStore, MessageRow } from '../store/alerts.js';
import { idFactory } from '../util/ids.js';
import { CapLog } from './cap-log.js';
import { Escalation, type EscalationState, supersede } from './escalation.js';
import { IncidentBook, type IncidentBookState, type IncidentChange } from './incidents.js';
import { messageRow, notificationText, rowNotification, smsTemplates, testText } from './messages.js';
import { type SmsCounters, SmsDesk } from './sms-desk.js';
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

export interface AlertsCounters extends SmsCounters {
  repliesAccepted: number;
  repliesRefused: number;
  superseded: number;
}

export class Alerts {
  private readonly book: IncidentBook;
  private readonly escalation: Escalation;
  private readonly caps: CapLog;
  /** The SMS messages and their hand-over to gammu-smsd. */
  private readonly desk: SmsDesk;
  private readonly newId = idFactory();
  private polling: Promise<void> | undefined;
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
    const messages = [...store.loadMessages(ids), ...store.loadQueued()];
    const awaiting = messages
      .filter((m) => m.state === 'queued' && m.msgId !== undefined)
      .map((m) => m.msgId as string);
    this.desk = new SmsDesk(
      {
        ...deps,
        sms: deps.sms(awaiting),
        contact: (id) => this.contact(id),
        onFirstFailure: (m) => this.onFirstFailure(m),
      },
      this.counters,
    );
    for (const m of messages) this.desk.messages.set(m.id, m);
    this.caps = new CapLog({
      clock,
      log: deps.log,
      events: deps.events,
      store,
      config: deps.config,
      place: deps.place,
      history: store.loadCaps(ids),
    });
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
    void this.desk.deliver();
  }

  /** Reads back what gammu-smsd did (sent, failed) and the replies people sent. */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    const received = await this.desk.poll();
    for (const r of received ?? []) this.remember(r.id, this.onReply(r.from, r.text));
    void this.desk.deliver();
  }

  /** The next contact of the chain is told now rather than at its time: a dead phone costs no minutes. */
  private onFirstFailure(m: MessageRow): void {
    const inc = this.book.get(m.incident);
    if (inc) this.queue(this.escalation.failed(rowNotification(m, inc.code, inc.zone)));
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
    void this.desk.deliver();
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
    for (const m of this.desk.messages.values()) {
      if (m.state !== 'queued' || m.msgId !== undefined || m.kind === 'test') continue;
      const inc = this.book.get(m.incident);
      if (inc) waiting.set(rowNotification(m, inc.code, inc.zone), m);
    }
    const kept = new Set(supersede([...waiting.keys()], fresh));
    const now = this.deps.clock.now();
    for (const [n, m] of waiting)
      if (!kept.has(n)) {
        this.desk.update(m, { state: 'superseded', at: now });
        this.counters.superseded++;
      }
    const tz = this.deps.config().gateway.site.tz;
    const templates = smsTemplates(this.cfg.sms);
    for (const n of fresh) {
      const inc = this.book.get(n.incident);
      const contact = this.contact(n.contact);
      if (!inc || !contact) continue;
      this.desk.add(messageRow(this.newId(now), n, notificationText(n, inc, contact, tz, templates)));
    }
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
    this.desk.add(row);
    const cap = this.caps.test(contact.id);
    this.deps.events.emit('alert_test', { contact: contact.id, cap: cap.identifier });
    await this.desk.deliver();
    await this.caps.flush();
    const sent = this.desk.messages.get(row.id);
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
        [...this.desk.messages.values()].filter((m) => m.incident === i.id && m.state !== 'superseded'),
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
    return {
      enabled: true,
      open: this.book
        .open()
        .map((i) => ({ id: i.id, zone: i.zone, level: i.level, code: i.code, state: i.state })),
      sms: this.desk.status(this.cfg.sms.driver, {
        accepted: this.counters.repliesAccepted,
        refused: this.counters.repliesRefused,
      }),
      cap: this.caps.status(),
      ...(this.deps.remote ? { earthranger: this.deps.remote.status() } : {}),
    };
  }

  /** A reloaded config: contacts, policies and texts apply from the next decision on. */
  reconfigure(next: Config): void {
    this.escalation.setConfig(next.alerts);
  }

  async close(): Promise<void> {
    await this.polling;
    await this.desk.close();
    // A clean stop leaves every CAP file written (the documents themselves are in the outbox).
    await this.caps.flush();
  }
}
