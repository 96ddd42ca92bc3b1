import type { Statement } from 'better-sqlite3';
import type { AlertChannel, Incident, NotificationKind } from '../alerts/types.js';
import type { Level } from '../domain/index.js';
import type { Db } from './db.js';
import type { CommitParticipant } from './writer.js';

/**
 * Alerts for people in SQLite (issue 14): incidents, every message decided for a contact, the CAP
 * documents sent and the escalation's state. Written inside the group commit (a participant of
 * the writer), so an incident's change is durable with the `incident` event that tells of it, and
 * a restart mid-escalation carries on from what was committed.
 */

export type MessageState = 'queued' | 'sent' | 'failed' | 'superseded';

/** One message to one contact, as stored. */
export interface MessageRow {
  /** ULID */
  id: string;
  incident: string;
  contact: string;
  channel: AlertChannel;
  kind: NotificationKind | 'test';
  level: Level;
  state: MessageState;
  /** epoch ms the escalation decided it */
  decided: number;
  /** epoch ms of the last change of state (handed over, sent, failed) */
  at: number;
  step?: number;
  round?: number;
  text: string;
  /** The SMS driver's id once handed over; a queued row with one awaits the daemon's verdict. */
  msgId?: string;
  /** How many times it was handed over (a daemon failure queues it again, up to a bound). */
  attempts: number;
  /** Not before this (epoch ms): a retry after a refused hand-over or a failure. */
  nextAt: number;
  /** Why the last attempt failed, in words. */
  reason?: string;
}

/** A CAP document sent, as later documents of the incident reference it. */
export interface CapRow {
  identifier: string;
  incident: string;
  msgType: string;
  sender: string;
  /** As written in the document (`2026-12-01T19:42:05+07:00`). */
  sent: string;
  sentAt: number;
  level: Level;
}

interface MessageDbRow {
  id: string;
  incident: string;
  contact: string;
  channel: string;
  kind: string;
  level: string;
  state: string;
  decided: number;
  at: number;
  step: number | null;
  round: number | null;
  text: string;
  msg_id: string | null;
  attempts: number;
  next_at: number;
  reason: string | null;
}

function fromDb(r: MessageDbRow): MessageRow {
  const m: MessageRow = {
    id: r.id,
    incident: r.incident,
    contact: r.contact,
    channel: r.channel as AlertChannel,
    kind: r.kind as MessageRow['kind'],
    level: r.level as Level,
    state: r.state as MessageState,
    decided: r.decided,
    at: r.at,
    text: r.text,
    attempts: r.attempts,
    nextAt: r.next_at,
  };
  if (r.step !== null) m.step = r.step;
  if (r.round !== null) m.round = r.round;
  if (r.msg_id !== null) m.msgId = r.msg_id;
  if (r.reason !== null) m.reason = r.reason;
  return m;
}

export class AlertStore implements CommitParticipant {
  private dirtyIncidents = new Map<string, Incident>();
  private dirtyMessages = new Map<string, MessageRow>();
  private dirtyCaps: CapRow[] = [];
  private dirtyEscalation: string | undefined;
  /** The escalation as last stored or queued for storing: an unchanged state is not written again. */
  private lastEscalation: string | undefined;
  private readonly upIncident: Statement;
  private readonly upMessage: Statement;
  private readonly insCap: Statement;
  private readonly upState: Statement;

  constructor(
    private readonly db: Db,
    /** Asks the writer for a commit soon (state waits in memory until then). */
    private readonly requestFlush: () => void,
  ) {
    this.upIncident = db.prepare(
      `INSERT INTO incidents (id, zone, state, opened, closed, doc) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET state = excluded.state, closed = excluded.closed, doc = excluded.doc`,
    );
    this.upMessage = db.prepare(
      `INSERT INTO alert_messages (id, incident, contact, channel, kind, level, state, decided, at, step, round,
         text, msg_id, attempts, next_at, reason)
       VALUES (@id, @incident, @contact, @channel, @kind, @level, @state, @decided, @at, @step, @round,
         @text, @msg_id, @attempts, @next_at, @reason)
       ON CONFLICT(id) DO UPDATE SET state = excluded.state, at = excluded.at, msg_id = excluded.msg_id,
         attempts = excluded.attempts, next_at = excluded.next_at, reason = excluded.reason`,
    );
    this.insCap = db.prepare(
      `INSERT OR IGNORE INTO cap_messages (identifier, incident, msg_type, sender, sent, sent_at, level)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.upState = db.prepare(
      "INSERT INTO alert_state (key, value) VALUES ('escalation', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    );
  }

  putIncident(i: Incident): void {
    this.dirtyIncidents.set(i.id, structuredClone(i));
    this.requestFlush();
  }

  putMessage(m: MessageRow): void {
    this.dirtyMessages.set(m.id, { ...m });
    this.requestFlush();
  }

  putCap(c: CapRow): void {
    this.dirtyCaps.push(c);
    this.requestFlush();
  }

  /**
   * Called after every tick and decision; only a changed state is written, so a quiet night with
   * alerts enabled costs no commit a second (SD-card wear, P9).
   */
  putEscalation(state: unknown): void {
    const json = JSON.stringify(state);
    if (json === this.lastEscalation) return;
    this.lastEscalation = json;
    this.dirtyEscalation = json;
    this.requestFlush();
  }

  writeDirty(): void {
    for (const i of this.dirtyIncidents.values())
      this.upIncident.run(i.id, i.zone, i.state, i.opened, i.closed ?? null, JSON.stringify(i));
    for (const m of this.dirtyMessages.values())
      this.upMessage.run({
        id: m.id,
        incident: m.incident,
        contact: m.contact,
        channel: m.channel,
        kind: m.kind,
        level: m.level,
        state: m.state,
        decided: m.decided,
        at: m.at,
        step: m.step ?? null,
        round: m.round ?? null,
        text: m.text,
        msg_id: m.msgId ?? null,
        attempts: m.attempts,
        next_at: m.nextAt,
        reason: m.reason ?? null,
      });
    for (const c of this.dirtyCaps)
      this.insCap.run(c.identifier, c.incident, c.msgType, c.sender, c.sent, c.sentAt, c.level);
    if (this.dirtyEscalation !== undefined) this.upState.run(this.dirtyEscalation);
  }

  committed(): void {
    this.dirtyIncidents = new Map();
    this.dirtyMessages = new Map();
    this.dirtyCaps = [];
    this.dirtyEscalation = undefined;
  }

  /** Open incidents and those closed since `closedSince`, oldest first. */
  loadIncidents(closedSince: number): Incident[] {
    const rows = this.db
      .prepare("SELECT doc FROM incidents WHERE state != 'closed' OR closed >= ? ORDER BY opened, id")
      .all(closedSince) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as Incident);
  }

  loadEscalation(): unknown {
    const row = this.db.prepare("SELECT value FROM alert_state WHERE key = 'escalation'").get() as
      | { value: string }
      | undefined;
    this.lastEscalation = row?.value;
    return row ? (JSON.parse(row.value) as unknown) : undefined;
  }

  /** Every message of these incidents, in the order decided. */
  loadMessages(incidents: readonly string[]): MessageRow[] {
    if (incidents.length === 0) return [];
    const rows = this.db
      .prepare(
        'SELECT * FROM alert_messages WHERE incident IN (SELECT value FROM json_each(?)) ORDER BY decided, id',
      )
      .all(JSON.stringify(incidents)) as MessageDbRow[];
    return rows.map(fromDb);
  }

  /** Messages not yet settled, whatever their incident (a restart hands them over or awaits them). */
  loadQueued(): MessageRow[] {
    const rows = this.db
      .prepare("SELECT * FROM alert_messages WHERE state = 'queued' ORDER BY decided, id")
      .all() as MessageDbRow[];
    return rows.map(fromDb);
  }

  /** Every CAP document of these incidents, oldest first. */
  loadCaps(incidents: readonly string[]): CapRow[] {
    if (incidents.length === 0) return [];
    const rows = this.db
      .prepare(
        `SELECT identifier, incident, msg_type AS msgType, sender, sent, sent_at AS sentAt, level
         FROM cap_messages WHERE incident IN (SELECT value FROM json_each(?)) ORDER BY sent_at, identifier`,
      )
      .all(JSON.stringify(incidents)) as CapRow[];
    return rows;
  }
}
