import type { AlertContact, AlertsConfig } from '../config/schema.js';
import type { MessageRow } from '../store/alerts.js';
import {
  DEFAULT_SMS_TEMPLATES,
  formatSms,
  incidentSms,
  type SmsKind,
  type SmsTemplates,
} from './sms-text.js';
import type { Incident, Notification } from './types.js';

/**
 * From the escalation's decisions to messages people read: which text, which priority, and the
 * row that is kept until gammu-smsd says it went out. Pure.
 */

/** How often a message the daemon could not send is handed over again before it counts as failed. */
export const MAX_ATTEMPTS = 3;
/** A refused hand-over (spool missing or full) is tried again after this. */
export const HANDOVER_RETRY_MS = 30_000;
/** A message the daemon gave up on is handed over again after this times its attempts. */
export const FAILURE_RETRY_MS = 60_000;

/** The config's templates over the shipped ones: a technician may change one text and keep the rest. */
export function smsTemplates(cfg: AlertsConfig['sms']): SmsTemplates {
  const over = (base: Record<SmsKind, string>, mine: Partial<Record<SmsKind, string | undefined>> = {}) => {
    const out = { ...base };
    for (const [k, v] of Object.entries(mine)) if (v !== undefined) out[k as SmsKind] = v;
    return out;
  };
  return {
    id: over(DEFAULT_SMS_TEMPLATES.id, cfg.templates?.id),
    en: over(DEFAULT_SMS_TEMPLATES.en, cfg.templates?.en),
  };
}

/** The text one contact gets for one decision, in the contact's language. */
export function notificationText(
  n: Notification,
  incident: Incident,
  contact: AlertContact,
  tz: string,
  templates: SmsTemplates,
): string {
  const lang = contact.lang;
  if (n.kind === 'all_clear')
    return incidentSms({ ...incident, state: 'closed' }, { lang, tz, kind: 'clear', at: n.at }, templates);
  if (n.kind === 'reminder') return incidentSms(incident, { lang, tz, kind: 'reminder' }, templates);
  // alert, update, reconfirm: the level as it is now, at the time it was reached.
  const level = n.level === 'NORMAL' ? incident.level : n.level;
  return incidentSms({ ...incident, level }, { lang, tz }, templates);
}

/** The test SMS of `siaga alerts test`: marked TES, never taken for a real alert. */
export function testText(contact: AlertContact, at: number, tz: string, templates: SmsTemplates): string {
  const kind: SmsKind = 'test';
  return formatSms({ kind, lang: contact.lang, at, tz, code: '0000' }, templates);
}

/** AWAS goes before anything else the daemon has queued; so does the all-clear after one. */
export function isUrgent(m: Pick<MessageRow, 'level' | 'kind'>): boolean {
  return m.level === 'AWAS';
}

export function messageRow(id: string, n: Notification, text: string): MessageRow {
  const row: MessageRow = {
    id,
    incident: n.incident,
    contact: n.contact,
    channel: 'sms',
    kind: n.kind,
    level: n.level,
    state: 'queued',
    decided: n.at,
    at: n.at,
    text,
    attempts: 0,
    nextAt: n.at,
  };
  if (n.step !== undefined) row.step = n.step;
  if (n.round !== undefined) row.round = n.round;
  return row;
}

/** The decision a stored row came from, for the escalation (a failure) and for supersede. */
export function rowNotification(m: MessageRow, code: string, zone: string): Notification {
  const n: Notification = {
    incident: m.incident,
    zone,
    code,
    contact: m.contact,
    channel: 'sms',
    kind: m.kind === 'test' ? 'alert' : m.kind,
    level: m.level,
    at: m.decided,
  };
  if (m.step !== undefined) n.step = m.step;
  if (m.round !== undefined) n.round = m.round;
  return n;
}
