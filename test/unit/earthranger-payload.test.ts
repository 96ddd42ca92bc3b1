import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createdId,
  erPriority,
  erState,
  type RemoteTarget,
  remoteFacts,
  remoteRequest,
  serverMessage,
} from '../../src/alerts/earthranger-payload.js';
import type { IncidentChange } from '../../src/alerts/incidents.js';
import type { Incident } from '../../src/alerts/types.js';
import { LEVELS, type Level, levelRank } from '../../src/domain/index.js';
import { incident, OPENED, PLACE } from '../fixtures/cap/incident.js';

const ER: RemoteTarget = {
  mode: 'er',
  url: 'https://tnwk.pamdas.org/',
  token: 'er-token-1234567890',
  eventType: 'elephant_alert',
  source: 'gw-tnwk-01',
};
const GUNDI: RemoteTarget = { ...ER, mode: 'gundi', url: 'https://sensors.gundiservice.org' };

const opened = (over: Partial<Incident> = {}): IncidentChange => ({
  kind: 'opened',
  incident: incident(over),
});
const body = (t: RemoteTarget, c: IncidentChange, id?: string) =>
  JSON.parse(remoteRequest(t, remoteFacts(c, PLACE, OPENED), id).body) as Record<string, unknown>;

const { center: _c, ...noCentre } = PLACE;

describe('EarthRanger events from incidents', () => {
  it('POSTs a new incident with type, priority, zone centre, time and details, token only in the header', () => {
    const c = opened({ level: 'AWAS', peak: 'AWAS' });
    const r = remoteRequest(ER, remoteFacts(c, PLACE, OPENED), undefined);
    expect(r.method).toBe('POST');
    expect(r.url).toBe('https://tnwk.pamdas.org/api/v1.0/activity/events/');
    expect(r.headers.authorization).toBe('Bearer er-token-1234567890');
    expect(JSON.parse(r.body)).toEqual({
      event_type: 'elephant_alert',
      title: 'AWAS: gajah liar di Dsn Braja, Desa Braja Harjosari',
      time: '2026-12-01T12:42:05.250Z',
      priority: 300,
      state: 'new',
      location: { latitude: -5.0123, longitude: 105.7654 },
      event_details: {
        incident_id: '01KBCDE8Z3S2N0Q5W6X7Y8Z9AB',
        zone: 'z-braja',
        zone_name: 'Dsn Braja',
        level: 'AWAS',
        peak: 'AWAS',
        evidence_nodes: ['seis-01', 'pir-02'],
        code: '4821',
        village_name: 'Desa Braja Harjosari',
        village_code: '18.07.11.2005',
        reason: 'geophone footfalls and a cut beam on the trail',
        acknowledged_by: [],
      },
    });
  });

  it('PATCHes later changes by the id the server gave, without changing the event type', () => {
    const ack: IncidentChange = {
      kind: 'acked',
      incident: incident({ state: 'acked', acks: [{ by: 'Darto', channel: 'sms', at: OPENED + 1 }] }),
      ack: { by: 'Darto', channel: 'sms', at: OPENED + 1 },
    };
    const r = remoteRequest(ER, remoteFacts(ack, PLACE, OPENED + 1), 'ev/1 2');
    expect(r.method).toBe('PATCH');
    expect(r.url).toBe('https://tnwk.pamdas.org/api/v1.0/activity/event/ev%2F1%202/');
    const b = JSON.parse(r.body);
    expect(b.state).toBe('active');
    expect(b.event_type).toBeUndefined();
    expect(b.event_details.acknowledged_by).toEqual(['Darto']);
  });

  it('resolves the event on the all-clear and keeps the peak as its priority, in Indonesian', () => {
    const closed: IncidentChange = {
      kind: 'closed',
      incident: incident({ level: 'NORMAL', peak: 'AWAS', state: 'closed', closed: OPENED + 9 }),
    };
    const b = body(ER, closed, 'e1');
    expect(b.state).toBe('resolved');
    expect(b.priority).toBe(300);
    expect(b.title).toBe('Aman: gajah liar tidak lagi di Dsn Braja, Desa Braja Harjosari');
  });

  it('leaves the location out when the zone has no centre rather than inventing one', () => {
    const r = remoteRequest(ER, remoteFacts(opened(), noCentre, OPENED), undefined);
    expect(JSON.parse(r.body).location).toBeUndefined();
  });
});

describe('Gundi v2 events from incidents', () => {
  it('POSTs a batch of one with source, recorded_at and {lat, lon}, apikey in the header', () => {
    const r = remoteRequest(GUNDI, remoteFacts(opened(), PLACE, OPENED), undefined);
    expect(r.method).toBe('POST');
    expect(r.url).toBe('https://sensors.gundiservice.org/v2/events/');
    expect(r.headers.apikey).toBe(ER.token);
    expect(r.headers.authorization).toBeUndefined();
    const [e] = JSON.parse(r.body) as Record<string, unknown>[];
    expect(e).toMatchObject({
      source: 'gw-tnwk-01:z-braja',
      event_type: 'elephant_alert',
      title: 'SIAGA: gajah liar di Dsn Braja, Desa Braja Harjosari',
      recorded_at: '2026-12-01T12:42:05.250Z',
      location: { lat: -5.0123, lon: 105.7654 },
      priority: 200,
      state: 'new',
    });
  });

  it('PATCHes /v2/events/<object_id>/ with one event', () => {
    const r = remoteRequest(GUNDI, remoteFacts(opened(), PLACE, OPENED), 'obj-1');
    expect(r.method).toBe('PATCH');
    expect(r.url).toBe('https://sensors.gundiservice.org/v2/events/obj-1/');
    expect(Array.isArray(JSON.parse(r.body))).toBe(false);
  });
});

describe('answers', () => {
  it('reads the new id from either server, and refuses an answer without one', () => {
    expect(createdId('er', { data: { id: 'abc' }, status: { code: 201 } })).toBe('abc');
    expect(createdId('gundi', [{ object_id: 'obj-9', created_at: 'x' }])).toBe('obj-9');
    expect(createdId('er', { data: {} })).toBeUndefined();
    expect(createdId('gundi', [])).toBeUndefined();
    expect(createdId('er', 'nonsense')).toBeUndefined();
  });

  it("keeps the server's own words for an error, short", () => {
    expect(serverMessage(400, '{"event_type":["Object with value=elephant_alert does not exist."]}')).toBe(
      'HTTP 400: {"event_type":["Object with value=elephant_alert does not exist."]}',
    );
    expect(serverMessage(401, '{"detail":"Invalid token."}')).toBe('HTTP 401: Invalid token.');
    expect(serverMessage(502, '')).toBe('HTTP 502');
    expect(serverMessage(500, 'x'.repeat(1000)).length).toBeLessThan(320);
  });
});

const level = fc.constantFrom<Level>(...LEVELS);
const change = fc
  .record({
    kind: fc.constantFrom('opened', 'updated', 'closed', 'acked'),
    level,
    // A change other than the all-clear never carries a closed incident.
    state: fc.constantFrom<'open' | 'acked'>('open', 'acked'),
    zoneName: fc.string({ minLength: 1, maxLength: 30 }),
    reason: fc.string({ maxLength: 60 }),
    by: fc.string({ minLength: 1, maxLength: 20 }),
  })
  .map(({ kind, level, state, zoneName, reason, by }): IncidentChange => {
    const acks = [{ by, channel: 'sms' as const, at: OPENED }];
    const i = incident({
      level,
      peak: 'AWAS',
      state: kind === 'closed' ? 'closed' : state,
      zoneName,
      reason,
      acks,
    });
    return kind === 'acked'
      ? { kind, incident: { ...i, state: 'acked' }, ack: acks[0] as never }
      : { kind, incident: i };
  });

describe('properties', () => {
  it('priority rises with the level: AWAS 300, SIAGA 200, WASPADA 100', () => {
    expect(LEVELS.map(erPriority)).toEqual(
      LEVELS.map((l) => ({ AWAS: 300, SIAGA: 200, WASPADA: 100, NORMAL: 0 })[l]),
    );
    fc.assert(
      fc.property(level, level, (a, b) => {
        return Math.sign(erPriority(a) - erPriority(b)) === Math.sign(levelRank(a) - levelRank(b));
      }),
    );
  });

  it('state: the all-clear always resolves, an acknowledgement makes it active, nothing goes back to new', () => {
    fc.assert(
      fc.property(change, (c) => {
        const s = erState(c);
        if (c.kind === 'closed') return s === 'resolved';
        if (c.kind === 'acked' || c.incident.state === 'acked') return s === 'active';
        return s === 'new';
      }),
    );
  });

  it('no body ever holds the token, whatever the mode, change or zone name', () => {
    fc.assert(
      fc.property(
        change,
        fc.constantFrom(ER, GUNDI),
        fc.string({ minLength: 8, maxLength: 40 }).filter((s) => s.trim().length >= 8 && !/["\\]/.test(s)),
        fc.option(fc.string({ minLength: 1, maxLength: 10 }), { nil: undefined }),
        (c, t, token, id) => {
          const r = remoteRequest({ ...t, token }, remoteFacts(c, PLACE, OPENED), id);
          const facts = JSON.stringify(remoteFacts(c, PLACE, OPENED));
          // A token that happens to be text of the incident itself is no leak.
          return facts.includes(token) || !r.body.includes(token);
        },
      ),
    );
  });

  it('every title is the Indonesian headline and fits an EarthRanger title (255)', () => {
    fc.assert(
      fc.property(change, (c) => {
        const f = remoteFacts(c, PLACE, OPENED);
        const ok =
          f.state === 'resolved'
            ? f.title.startsWith('Aman: gajah liar')
            : f.title.includes(': gajah liar di ');
        return ok && f.title.length <= 255;
      }),
    );
  });
});
