import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capAckDocument, capIncidentDocument } from '../../src/alerts/cap.js';
import { type CapFeedEntry, capAtomFeed, capFileName, parseCapFeedEntry } from '../../src/alerts/cap-feed.js';
import { incident, OPENED, PLACE, SENDER } from '../fixtures/cap/incident.js';

const entry = (identifier: string, sent: string, over: Partial<CapFeedEntry> = {}): CapFeedEntry => ({
  identifier,
  sender: SENDER,
  sent,
  sentAt: Date.parse(sent),
  msgType: 'Update',
  status: 'Actual',
  title: `headline ${identifier}`,
  file: `${identifier}.xml`,
  ...over,
});

describe('CAP files and the Atom feed', () => {
  it('names files so that sorting the names sorts the documents by time', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.integer({ min: Date.parse('2000-01-01T00:00:00Z'), max: Date.parse('2099-01-01T00:00:00Z') }),
          {
            minLength: 2,
            maxLength: 20,
          },
        ),
        (times) => {
          const docs = times.map((t, i) => ({
            sentAt: Math.floor(t / 1000) * 1000,
            identifier: `siaga-X-${String(i).padStart(3, '0')}`,
          }));
          const byName = [...docs].sort((a, b) => (capFileName(a) < capFileName(b) ? -1 : 1));
          const byTime = [...docs].sort(
            (a, b) => a.sentAt - b.sentAt || (a.identifier < b.identifier ? -1 : 1),
          );
          expect(byName).toEqual(byTime);
        },
      ),
    );
    expect(capFileName({ sentAt: OPENED, identifier: 'siaga-01K-002' })).toBe(
      '20261201T124205Z-siaga-01K-002.xml',
    );
  });

  it('lists the newest document first, whatever order it is given', () => {
    const xml = capAtomFeed(
      [
        entry('b', '2026-12-01T19:43:05+07:00'),
        entry('c', '2026-12-01T20:00:00+07:00', { status: 'Test' }),
        entry('a', '2026-12-01T12:42:05+00:00'),
      ],
      { id: 'urn:siaga:cap:gw-1', title: 'siaga CAP', now: OPENED },
    );
    const ids = [...xml.matchAll(/<id>urn:siaga:cap:[^:]+:([^<]+)<\/id>/g)].map((m) => m[1]);
    expect(ids).toEqual(['c', 'b', 'a']);
    expect(xml).toContain('<updated>2026-12-01T20:00:00+07:00</updated>');
    expect(xml).toContain('[Test] headline c');
    expect(xml).toContain('type="application/cap+xml" href="b.xml"');
  });

  it('reads identifier, time, type and the Indonesian headline back from a document', () => {
    const alert = capIncidentDocument({
      incident: incident(),
      place: PLACE,
      history: [],
      sender: SENDER,
      at: OPENED,
    });
    const r = parseCapFeedEntry(alert.xml, 'f.xml');
    expect(r).toEqual({
      ok: true,
      value: {
        identifier: alert.identifier,
        sender: SENDER,
        sent: '2026-12-01T19:42:05+07:00',
        sentAt: Math.floor(OPENED / 1000) * 1000,
        msgType: 'Alert',
        status: 'Actual',
        title: 'SIAGA: gajah liar di Dsn Braja, Desa Braja Harjosari',
        file: 'f.xml',
      },
    });
    const ack = capAckDocument(
      { incident: incident(), place: PLACE, history: [alert], sender: SENDER },
      { by: 'x', channel: 'cli', at: OPENED },
    );
    expect(parseCapFeedEntry(ack.xml, 'g.xml')).toMatchObject({ ok: true, value: { title: 'Ack' } });
  });

  it('refuses what is no CAP document with a reason instead of throwing', () => {
    const reason = (xml: string) => {
      const r = parseCapFeedEntry(xml, 'x.xml');
      return r.ok ? 'accepted' : r.reason;
    };
    expect(reason('<alert><identifier>half')).toBe('not a whole CAP document (no closing </alert>)');
    expect(reason('<feed></feed>')).toBe('not a whole CAP document (no closing </alert>)');
    expect(reason('<alert a=></alert>')).toMatch(/^not well-formed XML: Missing start quote/);
    expect(reason('<x:alert xmlns:x="urn:x"></x:alert>')).toBe('no CAP <alert> element');
    expect(reason('<alert><sender>s</sender></alert>')).toBe('no <identifier>');
    expect(
      reason(
        '<alert><identifier>i</identifier><sender>s</sender><sent>soon</sent><status>Actual</status><msgType>Alert</msgType></alert>',
      ),
    ).toBe('<sent> "soon" is no time');
  });
});
