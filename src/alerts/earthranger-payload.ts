import type { Level } from '../domain/index.js';
import { headline } from './cap-words.js';
import type { IncidentChange } from './incidents.js';
import type { Incident, IncidentPlace } from './types.js';

/**
 * Incident changes as EarthRanger events (issue 14.5), pure: what the park's control room sees
 * of an incident, and the HTTP request that carries it. Two servers speak it:
 * - EarthRanger itself: `POST {url}/api/v1.0/activity/events/`, later
 *   `PATCH {url}/api/v1.0/activity/event/<id>/`, `Authorization: Bearer <token>`;
 * - Gundi v2 (EarthRanger's integration hub): `POST {url}/v2/events/` with a list of events, later
 *   `PATCH {url}/v2/events/<object_id>/`, header `apikey: <key>`.
 */

export type RemoteMode = 'er' | 'gundi';
/** EarthRanger's event states: new until someone answers, active while handled, resolved when over. */
export type ErState = 'new' | 'active' | 'resolved';

/**
 * What one change says, with no server's field names: this is what the durable queue keeps, so a
 * request is rendered when it is sent, with the config then in force (an `event_type` the
 * operator fixed after the server refused it, or a switch from EarthRanger to Gundi).
 */
export interface RemoteFacts {
  incident: string;
  zone: string;
  zoneName: string;
  level: Level;
  peak: Level;
  code: string;
  state: ErState;
  /** epoch ms the incident opened: the event's time. */
  opened: number;
  /** epoch ms of this change */
  at: number;
  reason: string;
  evidenceNodes: string[];
  ackedBy: string[];
  title: string;
  villageName: string;
  villageCode: string;
  /** [lat, lon] of the zone centre, when the config gives one. */
  center?: [number, number];
}

/** EarthRanger's priorities: 300 red, 200 amber, 100 green, 0 grey. */
const PRIORITY: Record<Level, number> = { AWAS: 300, SIAGA: 200, WASPADA: 100, NORMAL: 0 };

export function erPriority(level: Level): number {
  return PRIORITY[level];
}

/**
 * The event's state after a change: acknowledged means someone handles it (active), the
 * all-clear resolves it; a level change keeps what acknowledgement already made of it.
 */
export function erState(change: IncidentChange): ErState {
  if (change.kind === 'closed' || change.incident.state === 'closed') return 'resolved';
  if (change.kind === 'acked' || change.incident.state === 'acked') return 'active';
  return 'new';
}

function eventTitle(incident: Incident, place: IncidentPlace, closed: boolean): string {
  // Rangers in Way Kambas read Indonesian first; CAP's headline already says it that way.
  return headline(incident, place, 'id', closed);
}

export function remoteFacts(change: IncidentChange, place: IncidentPlace, at: number): RemoteFacts {
  const i = change.incident;
  const state = erState(change);
  const facts: RemoteFacts = {
    incident: i.id,
    zone: i.zone,
    zoneName: i.zoneName,
    // After the all-clear the incident's level is NORMAL; the event keeps showing how bad it got.
    level: state === 'resolved' ? i.peak : i.level,
    peak: i.peak,
    code: i.code,
    state,
    opened: i.opened,
    at,
    reason: i.reason,
    evidenceNodes: i.evidence.map((e) => e.node),
    ackedBy: [...new Set(i.acks.map((a) => a.by))],
    title: eventTitle(i, place, state === 'resolved'),
    villageName: place.villageName,
    villageCode: place.villageCode,
  };
  if (place.center) facts.center = [place.center[0], place.center[1]];
  return facts;
}

function details(f: RemoteFacts): Record<string, unknown> {
  return {
    incident_id: f.incident,
    zone: f.zone,
    zone_name: f.zoneName,
    level: f.level,
    peak: f.peak,
    evidence_nodes: f.evidenceNodes,
    code: f.code,
    village_name: f.villageName,
    village_code: f.villageCode,
    reason: f.reason,
    acknowledged_by: f.ackedBy,
  };
}

/** What both servers call alike. */
function shared(f: RemoteFacts): Record<string, unknown> {
  return { title: f.title, priority: erPriority(f.level), state: f.state, event_details: details(f) };
}

/** The body EarthRanger takes; `create` adds the event type, which a PATCH must not change. */
export function erEventBody(f: RemoteFacts, eventType: string, create: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { ...shared(f), time: new Date(f.opened).toISOString() };
  if (create) body.event_type = eventType;
  if (f.center) body.location = { latitude: f.center[0], longitude: f.center[1] };
  return body;
}

/** One Gundi v2 event: Gundi names the time `recorded_at` and the place `{lat, lon}`. */
export function gundiEventBody(
  f: RemoteFacts,
  eventType: string,
  source: string,
  create: boolean,
): Record<string, unknown> {
  const body: Record<string, unknown> = { ...shared(f), recorded_at: new Date(f.opened).toISOString() };
  if (create) {
    body.source = `${source}:${f.zone}`;
    body.event_type = eventType;
  }
  if (f.center) body.location = { lat: f.center[0], lon: f.center[1] };
  return body;
}

export interface RemoteTarget {
  mode: RemoteMode;
  /** https://…, without the API path */
  url: string;
  token: string;
  eventType: string;
  /** Gundi `source`: who produced the event (the gateway id); the zone is appended. */
  source: string;
}

export interface RemoteRequest {
  method: 'POST' | 'PATCH';
  url: string;
  headers: Record<string, string>;
  /** JSON text; never holds the token. */
  body: string;
}

function base(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The request that brings the server up to these facts: a POST until the server gave an id. */
export function remoteRequest(t: RemoteTarget, f: RemoteFacts, remoteId: string | undefined): RemoteRequest {
  const create = remoteId === undefined;
  const id = create ? '' : encodeURIComponent(remoteId);
  if (t.mode === 'er') {
    return {
      method: create ? 'POST' : 'PATCH',
      url: create
        ? `${base(t.url)}/api/v1.0/activity/events/`
        : `${base(t.url)}/api/v1.0/activity/event/${id}/`,
      headers: {
        authorization: `Bearer ${t.token}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify(erEventBody(f, t.eventType, create)),
    };
  }
  const event = gundiEventBody(f, t.eventType, t.source, create);
  return {
    method: create ? 'POST' : 'PATCH',
    url: create ? `${base(t.url)}/v2/events/` : `${base(t.url)}/v2/events/${id}/`,
    headers: { apikey: t.token, 'content-type': 'application/json', accept: 'application/json' },
    // Gundi's sensors API takes a batch on POST and one event on PATCH.
    body: JSON.stringify(create ? [event] : event),
  };
}

/**
 * The id the server gave a new event: EarthRanger wraps it as `{data: {id}}`, Gundi answers the
 * batch with `[{object_id}]`. Undefined when the answer has none (the caller must not PATCH blind).
 */
export function createdId(mode: RemoteMode, answer: unknown): string | undefined {
  const pick = (v: unknown, key: string): unknown =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)[key]
      : undefined;
  const raw =
    mode === 'er'
      ? (pick(pick(answer, 'data'), 'id') ?? pick(answer, 'id'))
      : (pick(Array.isArray(answer) ? answer[0] : answer, 'object_id') ??
        pick(Array.isArray(answer) ? answer[0] : answer, 'id'));
  if (typeof raw === 'string' && raw.length > 0 && raw.length <= 200) return raw;
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  return undefined;
}

/** The server's own words from an error answer, short enough for a log line and status. */
export function serverMessage(status: number, text: string): string {
  let said = text.trim();
  try {
    const j = JSON.parse(said) as unknown;
    if (j !== null && typeof j === 'object') {
      const o = j as Record<string, unknown>;
      const status_ = o.status as Record<string, unknown> | undefined;
      const m = o.detail ?? o.message ?? status_?.message ?? o.errors ?? o.error;
      said = typeof m === 'string' ? m : JSON.stringify(m ?? j);
    }
  } catch {
    // not JSON: the text is the message
  }
  said = said.replace(/\s+/g, ' ');
  if (said.length > 300) said = `${said.slice(0, 297)}...`;
  return said ? `HTTP ${status}: ${said}` : `HTTP ${status}`;
}
