import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CapDocument, capAckDocument, capIncidentDocument } from '../../src/alerts/cap.js';
import type { AckChannel, Incident, IncidentEvidence, IncidentPlace } from '../../src/alerts/types.js';
import { READING_TYPES } from '../../src/domain/reading.js';
import { incident, OPENED, PLACE, SENDER, testDocument } from '../fixtures/cap/incident.js';
import { validateCap, xmllintAvailable } from '../fixtures/cap/xmllint.js';

/**
 * Every CAP document siaga produces must pass the OASIS CAP 1.2 schema with the real xmllint
 * (Debian libxml2-utils): that is what BPBD's receiving systems check first.
 */

const ALERT = capIncidentDocument({
  incident: incident(),
  place: PLACE,
  history: [],
  sender: SENDER,
  at: OPENED,
}).xml;

describe.skipIf(!xmllintAvailable())('CAP documents against the OASIS CAP 1.2 schema (xmllint)', () => {
  it('validates a whole night: Alert, Update, Ack, Cancel and a Test message', () => {
    const docs: CapDocument[] = [];
    const push = (inc: Incident, at: number) =>
      docs.push(capIncidentDocument({ incident: inc, place: PLACE, history: docs, sender: SENDER, at }));
    push(incident(), OPENED);
    const awas = incident({ level: 'AWAS', peak: 'AWAS', evidence: [{ node: 'cam-03', type: 'cam' }] });
    push(awas, OPENED + 60_000);
    docs.push(
      capAckDocument(
        { incident: awas, place: PLACE, history: docs, sender: SENDER },
        { by: 'Darto', channel: 'sms', at: OPENED + 90_000 },
      ),
    );
    push(
      incident({ level: 'NORMAL', peak: 'AWAS', state: 'closed', closed: OPENED + 4_000_000 }),
      OPENED + 4_000_000,
    );
    const test = testDocument();
    const r = validateCap([...docs.map((d) => d.xml), test.xml]);
    expect(r.output).not.toMatch(/fails to validate|error/);
    expect(r.ok).toBe(true);
    expect(r.output.match(/validates/g)).toHaveLength(5);
  });

  // The schema has teeth: each of these breaks one rule of the standard and must be refused.
  it.each([
    [
      'a time in Z',
      ALERT.replace('<sent>2026-12-01T19:42:05+07:00</sent>', '<sent>2026-12-01T12:42:05Z</sent>'),
      /sent.*pattern/,
    ],
    ['no identifier', ALERT.replace(/<identifier>[^<]*<\/identifier>/, ''), /identifier/],
    ['an unknown msgType', ALERT.replace('<msgType>Alert</msgType>', '<msgType>Alarm</msgType>'), /msgType/],
    [
      'an unknown certainty',
      ALERT.replace(/<certainty>\w+<\/certainty>/, '<certainty>Sure</certainty>'),
      /certainty/,
    ],
    [
      'fields out of order',
      ALERT.replace(
        '<status>Actual</status>\n  <msgType>Alert</msgType>',
        '<msgType>Alert</msgType>\n  <status>Actual</status>',
      ),
      /msgType|status/,
    ],
    [
      'the wrong namespace',
      ALERT.replace('urn:oasis:names:tc:emergency:cap:1.2', 'urn:oasis:names:tc:emergency:cap:1.1'),
      /alert/,
    ],
  ])('xmllint refuses a document with %s', (_what, xml, why) => {
    expect(xml).not.toBe(ALERT);
    const r = validateCap([xml]);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/fails to validate/);
    expect(r.output).toMatch(why);
  });

  it('validates every document of random incident histories, each referencing exactly the earlier ones', () => {
    const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 30 });
    const evidence = fc.array(
      fc.record({ node: fc.stringMatching(/^[a-z]{2,5}-\d{2}$/), type: fc.constantFrom(...READING_TYPES) }),
      { maxLength: 5 },
    );
    type Step =
      | { kind: 'level'; level: 'WASPADA' | 'SIAGA' | 'AWAS'; evidence: IncidentEvidence[]; dt: number }
      | { kind: 'ack'; by: string; channel: AckChannel; dt: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({
        kind: fc.constant('level' as const),
        level: fc.constantFrom('WASPADA' as const, 'SIAGA' as const, 'AWAS' as const),
        evidence,
        dt: fc.integer({ min: 0, max: 7_200_000 }),
      }),
      fc.record({
        kind: fc.constant('ack' as const),
        by: text,
        channel: fc.constantFrom<AckChannel>('sms', 'cli', 'command', 'button', 'web'),
        dt: fc.integer({ min: 0, max: 600_000 }),
      }),
    );
    const place: fc.Arbitrary<IncidentPlace> = fc.record(
      {
        villageName: text,
        villageCode: fc.stringMatching(/^\d{2}\.\d{2}\.\d{2}\.\d{4}$/),
        center: fc.tuple(
          fc.double({ min: -11, max: 6, noNaN: true }),
          fc.double({ min: 95, max: 141, noNaN: true }),
        ),
        radiusM: fc.integer({ min: 50, max: 20_000 }),
        tz: fc.constantFrom('Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura', 'UTC', 'America/Sao_Paulo'),
      },
      { requiredKeys: ['villageName', 'villageCode', 'radiusM', 'tz'] },
    );
    fc.assert(
      fc.property(
        place,
        text,
        text,
        fc.integer({ min: Date.parse('2020-01-01T00:00:00Z'), max: Date.parse('2040-01-01T00:00:00Z') }),
        fc.array(step, { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        (pl, zoneName, reason, opened, steps, allClear) => {
          const docs: CapDocument[] = [];
          let inc = incident({ zoneName, reason, opened, updated: opened, evidence: [] });
          let t = opened;
          for (const s of steps) {
            t += s.dt;
            const ctx = { place: pl, history: [...docs], sender: SENDER };
            if (s.kind === 'ack') {
              docs.push(capAckDocument({ ...ctx, incident: inc }, { by: s.by, channel: s.channel, at: t }));
            } else {
              inc = { ...inc, level: s.level, evidence: s.evidence, updated: t };
              docs.push(capIncidentDocument({ ...ctx, incident: inc, at: t }));
            }
          }
          if (allClear) {
            t += 60_000;
            inc = { ...inc, level: 'NORMAL', state: 'closed', closed: t };
            docs.push(
              capIncidentDocument({ incident: inc, place: pl, history: [...docs], sender: SENDER, at: t }),
            );
          }
          for (const [i, d] of docs.entries()) {
            const refs = d.xml.match(/<references>([^<]*)<\/references>/)?.[1]?.split(' ') ?? [];
            expect(refs).toEqual(docs.slice(0, i).map((e) => `${e.sender},${e.identifier},${e.sent}`));
          }
          if (allClear) expect(docs.at(-1)?.msgType).toBe('Cancel');
          const r = validateCap(docs.map((d) => d.xml));
          expect(r.output).not.toMatch(/fails to validate|parser error/);
          expect(r.ok).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});
