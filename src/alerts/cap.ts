import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { ConfigError } from '../domain/errors.js';
import type { Level, ReadingType } from '../domain/index.js';
import { formatLocalTime, isoLocalTime } from '../util/local-time.js';
import { description, headline, INSTRUCTION, LANGS, type ResponseType } from './cap-words.js';
import type { Acknowledgement, Incident, IncidentPlace } from './types.js';

/**
 * CAP 1.2 documents (OASIS Common Alerting Protocol) for the district's disaster agency (BPBD
 * Pusdalops), issue 14 point 4. Pure: an incident, its place and the documents already sent for
 * it go in, one XML string comes out. The caller keeps the history (SQLite) and the clock.
 *
 * The choices the standard leaves to us, so BPBD knows what each value means:
 *
 * | level / state | urgency   | severity | responseType | expires after `sent` |
 * |---------------|-----------|----------|--------------|----------------------|
 * | AWAS          | Immediate | Severe   | Avoid        | 2 h                  |
 * | SIAGA         | Expected  | Moderate | Prepare      | 6 h                  |
 * | WASPADA       | Future    | Minor    | Monitor      | 12 h (one night)     |
 * | all-clear     | Past      | Minor    | AllClear     | 1 h                  |
 *
 * certainty: Observed when a camera trap or a GPS collar is among the evidence, or two or more
 * independent sensor kinds agree; Likely for a panic button alone (a person at the guard post saw
 * something, no sensor confirms it); Possible for one other sensor kind alone; Unknown with no
 * evidence; Unlikely on the all-clear. Heartbeats are no evidence.
 *
 * The village is named by its Kemendagri code (kode wilayah administrasi pemerintahan, e.g.
 * `18.07.11.2005`) as `<geocode><valueName>KEMENDAGRI</valueName>`.
 */

export const CAP_NS = 'urn:oasis:names:tc:emergency:cap:1.2';
export const CAP_GEOCODE_NAME = 'KEMENDAGRI';
export const CAP_EVENT = {
  id: 'Gajah liar mendekati permukiman',
  en: 'Wild elephants approaching settlements',
};

export type CapMsgType = 'Alert' | 'Update' | 'Cancel' | 'Ack';
export type CapStatus = 'Actual' | 'Test';

/** What a later document needs of an earlier one: CAP `references` is `sender,identifier,sent`. */
export interface CapRef {
  sender: string;
  identifier: string;
  /** As written in the document: `2026-12-01T19:42:05+07:00`. */
  sent: string;
}

export interface CapDocument extends CapRef {
  /** epoch ms of `sent` (whole seconds: CAP times carry no fraction). */
  sentAt: number;
  msgType: CapMsgType;
  status: CapStatus;
  /** The incident the document belongs to (CAP `incidents`). */
  incident: string;
  /** 1 for the incident's first document, then one more for each. */
  seq: number;
  xml: string;
}

export interface CapContext {
  incident: Incident;
  place: IncidentPlace;
  /** Every document already sent for this incident, oldest first (Ack documents included). */
  history: readonly CapRef[];
  /** `alerts.cap.sender` */
  sender: string;
  /** epoch ms the document is sent at. */
  at: number;
}

const HOUR = 3_600_000;
const EXPIRES_MS: Record<Exclude<Level, 'NORMAL'>, number> = {
  AWAS: 2 * HOUR,
  SIAGA: 6 * HOUR,
  WASPADA: 12 * HOUR,
};
const ALL_CLEAR_EXPIRES_MS = HOUR;
/** An Update renews a document this long before it would lapse. */
export const CAP_RENEW_BEFORE_MS = 15 * 60_000;

type Urgency = 'Immediate' | 'Expected' | 'Future' | 'Past' | 'Unknown';
type Severity = 'Extreme' | 'Severe' | 'Moderate' | 'Minor' | 'Unknown';
type Certainty = 'Observed' | 'Likely' | 'Possible' | 'Unlikely' | 'Unknown';

interface Grading {
  urgency: Urgency;
  severity: Severity;
  responseType: ResponseType;
  expiresMs: number;
}

const GRADING: Record<Exclude<Level, 'NORMAL'>, Grading> = {
  AWAS: { urgency: 'Immediate', severity: 'Severe', responseType: 'Avoid', expiresMs: EXPIRES_MS.AWAS },
  SIAGA: { urgency: 'Expected', severity: 'Moderate', responseType: 'Prepare', expiresMs: EXPIRES_MS.SIAGA },
  WASPADA: { urgency: 'Future', severity: 'Minor', responseType: 'Monitor', expiresMs: EXPIRES_MS.WASPADA },
};
const ALL_CLEAR: Grading = {
  urgency: 'Past',
  severity: 'Minor',
  responseType: 'AllClear',
  expiresMs: ALL_CLEAR_EXPIRES_MS,
};

function grading(incident: Incident): Grading {
  if (incident.state === 'closed' || incident.level === 'NORMAL') return ALL_CLEAR;
  return GRADING[incident.level];
}

/** When a document of this level sent at `sentAt` lapses; the wiring renews it before then. */
export function capExpiresAt(level: Level, sentAt: number): number {
  return sentAt + (level === 'NORMAL' ? ALL_CLEAR_EXPIRES_MS : EXPIRES_MS[level]);
}

/** When the wiring sends an Update that renews a document before it lapses. */
export function capRenewAt(level: Level, sentAt: number): number {
  return capExpiresAt(level, sentAt) - CAP_RENEW_BEFORE_MS;
}

/** How sure we are that elephants are there, from which independent sensor kinds agree. */
export function capCertainty(kinds: Iterable<ReadingType>): Certainty {
  const k = new Set(kinds);
  k.delete('hb');
  if (k.has('cam') || k.has('gps') || k.size >= 2) return 'Observed';
  if (k.has('btn')) return 'Likely';
  return k.size === 1 ? 'Possible' : 'Unknown';
}

/** CAP's own time form: seconds, the site's offset, never `Z` (the schema's pattern refuses it). */
export function capTime(ts: number, tz: string): string {
  return isoLocalTime(Math.floor(ts / 1000) * 1000, tz).replace(/\.\d{3}(?=[+-])/, '');
}

/**
 * CAP forbids spaces, commas and `<`/`&` in sender and identifier: they are the separators of
 * `references`. A sender that breaks this is a config mistake, named by its key.
 */
export function checkCapSender(sender: string): void {
  if (sender === '' || /[\s,<&]/.test(sender)) {
    throw new ConfigError([
      {
        path: 'alerts.cap.sender',
        message: `"${sender}" cannot be a CAP sender: it must be non-empty, without spaces, commas, < or &`,
      },
    ]);
  }
}

/** `siaga-<incident ULID>-<seq>`: unique per incident and sequence, the same every time it is built. */
export function capIdentifier(incidentId: string, seq: number): string {
  return `siaga-${incidentId}-${String(seq).padStart(3, '0')}`;
}

/** Characters XML 1.0 cannot carry (control characters, lone surrogates) are dropped, not escaped. */
function xmlText(s: string): string {
  return s.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: exactly those are what XML 1.0 refuses
    /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '',
  );
}

function decimal(x: number, digits: number): string {
  const s = String(Number(x.toFixed(digits)));
  return s === '-0' ? '0' : s;
}

function valuePair(parent: XMLBuilder, name: string, valueName: string, value: string): void {
  const p = parent.ele(name);
  p.ele('valueName').txt(valueName);
  p.ele('value').txt(xmlText(value));
}

function addInfo(alert: XMLBuilder, incident: Incident, place: IncidentPlace, sentAt: number): void {
  const g = grading(incident);
  const certainty = g === ALL_CLEAR ? 'Unlikely' : capCertainty(incident.evidence.map((e) => e.type));
  for (const { lang, tag } of LANGS) {
    const info = alert.ele('info');
    info.ele('language').txt(tag);
    info.ele('category').txt('Safety');
    info.ele('event').txt(CAP_EVENT[lang]);
    info.ele('responseType').txt(g.responseType);
    info.ele('urgency').txt(g.urgency);
    info.ele('severity').txt(g.severity);
    info.ele('certainty').txt(certainty);
    info.ele('onset').txt(capTime(incident.opened, place.tz));
    info.ele('expires').txt(capTime(sentAt + g.expiresMs, place.tz));
    info.ele('senderName').txt(xmlText(`siaga ${place.villageName}`));
    info.ele('headline').txt(xmlText(headline(incident, place, lang, g === ALL_CLEAR)));
    info.ele('description').txt(xmlText(description(incident, place, lang)));
    info.ele('instruction').txt(INSTRUCTION[g.responseType][lang]);
    valuePair(info, 'parameter', 'SIAGA_LEVEL', incident.level);
    valuePair(info, 'parameter', 'SIAGA_ZONE', incident.zone);
    valuePair(info, 'parameter', 'SIAGA_ACK_CODE', incident.code);
    const area = info.ele('area');
    area.ele('areaDesc').txt(xmlText(`${incident.zoneName} (${incident.zone}), ${place.villageName}`));
    if (place.center) {
      const [lat, lon] = place.center;
      // Plain decimals (never `1e-7`): ~0.1 m and 1 m are far finer than a zone.
      area.ele('circle').txt(`${decimal(lat, 6)},${decimal(lon, 6)} ${decimal(place.radiusM / 1000, 3)}`);
    }
    if (place.villageCode) valuePair(area, 'geocode', CAP_GEOCODE_NAME, place.villageCode);
  }
}

interface Header {
  identifier: string;
  sender: string;
  sentAt: number;
  tz: string;
  status: CapStatus;
  msgType: CapMsgType;
  note?: string;
  references: readonly CapRef[];
  incident: string;
}

function alertRoot(h: Header): { doc: XMLBuilder; alert: XMLBuilder; sent: string } {
  checkCapSender(h.sender);
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const alert = doc.ele(CAP_NS, 'alert');
  const sent = capTime(h.sentAt, h.tz);
  alert.ele('identifier').txt(h.identifier);
  alert.ele('sender').txt(h.sender);
  alert.ele('sent').txt(sent);
  alert.ele('status').txt(h.status);
  alert.ele('msgType').txt(h.msgType);
  alert.ele('scope').txt('Public');
  if (h.note) alert.ele('note').txt(xmlText(h.note));
  if (h.references.length > 0) {
    alert.ele('references').txt(h.references.map((r) => `${r.sender},${r.identifier},${r.sent}`).join(' '));
  }
  alert.ele('incidents').txt(h.incident);
  return { doc, alert, sent };
}

function finish(h: Header, doc: XMLBuilder, sent: string, seq: number): CapDocument {
  return {
    identifier: h.identifier,
    sender: h.sender,
    sent,
    sentAt: Math.floor(h.sentAt / 1000) * 1000,
    msgType: h.msgType,
    status: h.status,
    incident: h.incident,
    seq,
    xml: doc.end({ prettyPrint: true }),
  };
}

/** Which kind of message an incident change is: its first is an Alert, the all-clear a Cancel. */
export function capMsgType(incident: Incident, history: readonly CapRef[]): CapMsgType {
  if (incident.state === 'closed') return 'Cancel';
  return history.length === 0 ? 'Alert' : 'Update';
}

/**
 * The document for the incident as it is now: Alert, Update (a level change, new evidence, or a
 * renewal before `expires`) or Cancel (the all-clear), referencing every earlier document.
 */
export function capIncidentDocument(
  ctx: CapContext,
  opts: { status?: CapStatus; note?: string } = {},
): CapDocument {
  const seq = ctx.history.length + 1;
  const h: Header = {
    identifier: capIdentifier(ctx.incident.id, seq),
    sender: ctx.sender,
    sentAt: ctx.at,
    tz: ctx.place.tz,
    status: opts.status ?? 'Actual',
    msgType: capMsgType(ctx.incident, ctx.history),
    references: ctx.history,
    incident: ctx.incident.id,
    ...(opts.note ? { note: opts.note } : {}),
  };
  const { doc, alert, sent } = alertRoot(h);
  addInfo(alert, ctx.incident, ctx.place, ctx.at);
  return finish(h, doc, sent, seq);
}

const ACK_CHANNEL_WORDS: Record<Acknowledgement['channel'], string> = {
  sms: 'SMS',
  cli: 'siaga alerts ack',
  command: 'perintah pusat / centre command',
  button: 'tombol di pos jaga / guard-post button',
  web: 'web',
};

/**
 * CAP `Ack`: someone acknowledged the incident. It references every earlier document of the
 * incident and says who, how and when in its `note` (Indonesian first).
 */
export function capAckDocument(ctx: Omit<CapContext, 'at'>, ack: Acknowledgement): CapDocument {
  const seq = ctx.history.length + 1;
  const when = formatLocalTime(ack.at, ctx.place.tz);
  const how = ACK_CHANNEL_WORDS[ack.channel];
  const h: Header = {
    identifier: capIdentifier(ctx.incident.id, seq),
    sender: ctx.sender,
    sentAt: ack.at,
    tz: ctx.place.tz,
    status: 'Actual',
    msgType: 'Ack',
    references: ctx.history,
    incident: ctx.incident.id,
    note:
      `Diterima oleh ${ack.by} (${how}) ${when}, kode ${ctx.incident.code}. / ` +
      `Acknowledged by ${ack.by} (${how}) at ${when}, code ${ctx.incident.code}.`,
  };
  const { doc, sent } = alertRoot(h);
  return finish(h, doc, sent, seq);
}

/**
 * `siaga alerts test`: a complete, realistic document with `status` Test, so BPBD can check its
 * receiving end without anyone taking it for a real alert. `id` (a fresh ULID from the caller)
 * keeps each test's identifier unique.
 */
export function capTestDocument(args: {
  id: string;
  sender: string;
  at: number;
  place: IncidentPlace;
  zone: string;
  zoneName: string;
  contact: string;
}): CapDocument {
  const incident: Incident = {
    id: `test-${args.id}`,
    zone: args.zone,
    zoneName: args.zoneName,
    level: 'AWAS',
    peak: 'AWAS',
    code: '0000',
    state: 'open',
    opened: args.at,
    updated: args.at,
    reason: 'TES / TEST',
    evidence: [],
    acks: [],
  };
  return capIncidentDocument(
    { incident, place: args.place, history: [], sender: args.sender, at: args.at },
    {
      status: 'Test',
      note: `TES sistem siaga untuk ${args.contact}; bukan peringatan sungguhan. / siaga system test for ${args.contact}; not a real alert.`,
    },
  );
}
