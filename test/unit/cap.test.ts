import { describe, expect, it } from 'vitest';
import { create } from 'xmlbuilder2';
import {
  CAP_RENEW_BEFORE_MS,
  type CapDocument,
  capAckDocument,
  capCertainty,
  capExpiresAt,
  capIdentifier,
  capIncidentDocument,
  capRenewAt,
  capTime,
} from '../../src/alerts/cap.js';
import type { Incident } from '../../src/alerts/types.js';
import { ConfigError } from '../../src/domain/errors.js';
import { incident, OPENED, PLACE, SENDER, TEST_ID, testDocument } from '../fixtures/cap/incident.js';

type Obj = Record<string, unknown>;
/** The document as a plain object (xmlbuilder2's reader), so tests read fields, not regexes. */
function read(doc: CapDocument): Obj {
  return (create(doc.xml).end({ format: 'object' }) as Record<string, Obj>).alert as Obj;
}
const infos = (a: Obj): Obj[] => (Array.isArray(a.info) ? a.info : a.info ? [a.info as Obj] : []);

/** One incident's life: SIAGA, AWAS, acknowledged, back to SIAGA, all-clear. */
function night(): CapDocument[] {
  const docs: CapDocument[] = [];
  const step = (inc: Incident, at: number) => {
    docs.push(capIncidentDocument({ incident: inc, place: PLACE, history: docs, sender: SENDER, at }));
  };
  step(incident(), OPENED);
  const awas = incident({ level: 'AWAS', peak: 'AWAS', updated: OPENED + 60_000 });
  step(awas, OPENED + 60_000);
  docs.push(
    capAckDocument(
      { incident: awas, place: PLACE, history: docs, sender: SENDER },
      { by: 'Darto', channel: 'sms', at: OPENED + 180_000 },
    ),
  );
  step(incident({ level: 'SIAGA', peak: 'AWAS', state: 'acked' }), OPENED + 1_200_000);
  step(
    incident({ level: 'NORMAL', peak: 'AWAS', state: 'closed', closed: OPENED + 3_000_000 }),
    OPENED + 3_000_000,
  );
  return docs;
}

describe('CAP 1.2 documents for BPBD', () => {
  it('sends Alert first, Update for each change, Ack for the acknowledgement and Cancel on the all-clear', () => {
    expect(night().map((d) => d.msgType)).toEqual(['Alert', 'Update', 'Ack', 'Update', 'Cancel']);
  });

  it('references sender,identifier,sent of every earlier document of the incident', () => {
    const docs = night();
    for (const [i, d] of docs.entries()) {
      const refs = read(d).references as string | undefined;
      const want = docs.slice(0, i).map((e) => `${e.sender},${e.identifier},${e.sent}`);
      expect(refs?.split(' ') ?? []).toEqual(want);
    }
    const cancel = read(docs[4] as CapDocument);
    expect(cancel.references).toContain(
      `${SENDER},${capIdentifier(incident().id, 1)},2026-12-01T19:42:05+07:00`,
    );
  });

  it('gives stable identifiers derived from the incident and its sequence, unique within it', () => {
    const a = night().map((d) => d.identifier);
    expect(night().map((d) => d.identifier)).toEqual(a);
    expect(new Set(a).size).toBe(a.length);
    expect(a[0]).toBe('siaga-01KBCDE8Z3S2N0Q5W6X7Y8Z9AB-001');
  });

  it('writes times in the site zone with its offset, never Z', () => {
    const d = read(night()[0] as CapDocument);
    expect(d.sent).toBe('2026-12-01T19:42:05+07:00');
    expect(capTime(OPENED, 'UTC')).toBe('2026-12-01T12:42:05+00:00');
    expect(capTime(OPENED, 'Asia/Jayapura')).toBe('2026-12-01T21:42:05+09:00');
    for (const doc of night()) expect(doc.xml).not.toMatch(/\d\dZ</);
  });

  it('carries two info blocks, Indonesian first, category Safety and the event in each language', () => {
    const [id, en] = infos(read(night()[1] as CapDocument));
    expect(id?.language).toBe('id-ID');
    expect(en?.language).toBe('en-US');
    expect(id?.category).toBe('Safety');
    expect(id?.event).toBe('Gajah liar mendekati permukiman');
    expect(en?.event).toBe('Wild elephants approaching settlements');
    expect(id?.headline).toContain('AWAS');
    expect(id?.instruction).toContain('Jauhi ladang');
  });

  it('grades urgency and severity by level and expires AWAS after 2 h, SIAGA after 6 h', () => {
    const [siaga, awas, , , cancel] = night().map((d) => infos(read(d))[0]);
    expect([awas?.urgency, awas?.severity, awas?.responseType]).toEqual(['Immediate', 'Severe', 'Avoid']);
    expect([siaga?.urgency, siaga?.severity, siaga?.responseType]).toEqual([
      'Expected',
      'Moderate',
      'Prepare',
    ]);
    expect([cancel?.urgency, cancel?.responseType]).toEqual(['Past', 'AllClear']);
    expect(awas?.expires).toBe('2026-12-01T21:43:05+07:00');
    expect(siaga?.expires).toBe('2026-12-02T01:42:05+07:00');
    expect(capExpiresAt('WASPADA', OPENED) - OPENED).toBe(12 * 3_600_000);
    // Renewed by an Update a quarter hour before it lapses.
    expect(capRenewAt('AWAS', OPENED)).toBe(OPENED + 2 * 3_600_000 - CAP_RENEW_BEFORE_MS);
    expect(capRenewAt('AWAS', OPENED)).toBeGreaterThan(OPENED);
  });

  it('is Observed only when a camera, a collar or two sensor kinds agree', () => {
    expect(capCertainty(['seis'])).toBe('Possible');
    expect(capCertainty(['pir', 'pir', 'hb'])).toBe('Possible');
    expect(capCertainty(['cam'])).toBe('Observed');
    expect(capCertainty(['gps'])).toBe('Observed');
    expect(capCertainty(['seis', 'beam'])).toBe('Observed');
    expect(capCertainty(['btn'])).toBe('Likely');
    expect(capCertainty([])).toBe('Unknown');
    const one = incident({ level: 'AWAS', evidence: [{ node: 'seis-01', type: 'seis' }] });
    const doc = capIncidentDocument({ incident: one, place: PLACE, history: [], sender: SENDER, at: OPENED });
    expect(infos(read(doc)).map((i) => i.certainty)).toEqual(['Possible', 'Possible']);
  });

  it('names the area by village and zone, its circle in km and the Kemendagri code', () => {
    const area = infos(read(night()[0] as CapDocument))[0]?.area as Obj;
    expect(area.areaDesc).toBe('Dsn Braja (z-braja), Desa Braja Harjosari');
    expect(area.circle).toBe('-5.0123,105.7654 0.8');
    expect(area.geocode).toEqual({ valueName: 'KEMENDAGRI', value: '18.07.11.2005' });
    const far = capIncidentDocument({
      incident: incident(),
      place: { ...PLACE, center: [-1e-9, 105.123456789], radiusM: 1234.5678 },
      history: [],
      sender: SENDER,
      at: OPENED,
    });
    expect(((infos(read(far))[0]?.area ?? {}) as Obj).circle).toBe('0,105.123457 1.235');
    const { center: _c, ...noCentre } = PLACE;
    const doc = capIncidentDocument({
      incident: incident(),
      place: noCentre,
      history: [],
      sender: SENDER,
      at: OPENED,
    });
    expect(((infos(read(doc))[0]?.area ?? {}) as Obj).circle).toBeUndefined();
  });

  it('says in the Ack who acknowledged, by which channel and when', () => {
    const ack = read(night()[2] as CapDocument);
    expect(ack.msgType).toBe('Ack');
    expect(ack.note).toContain('Darto');
    expect(ack.note).toContain('SMS');
    expect(ack.note).toContain('2026-12-01 19:45 WIB');
    expect(ack.info).toBeUndefined();
  });

  it('marks a test message status=Test and says it is no real alert', () => {
    const t = testDocument();
    const a = read(t);
    expect(a.status).toBe('Test');
    expect(a.note).toContain('TES');
    expect(t.identifier).toContain(TEST_ID);
  });

  it('refuses a sender that would break references, naming the config key', () => {
    const bad = () =>
      capIncidentDocument({
        incident: incident(),
        place: PLACE,
        history: [],
        sender: 'bpbd lamtim',
        at: OPENED,
      });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/alerts\.cap\.sender/);
  });
});
