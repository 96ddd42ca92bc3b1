import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { notificationText, smsTemplates, testText } from '../../src/alerts/messages.js';
import { septets } from '../../src/alerts/sms-gsm7.js';
import { maskPhone } from '../../src/alerts/sms-phone.js';
import type { Incident, Notification } from '../../src/alerts/types.js';
import type { AlertContact } from '../../src/config/schema.js';

const AT = Date.parse('2026-12-01T12:42:00Z');
const incident = (zoneName: string, level: Incident['level'] = 'AWAS'): Incident => ({
  id: '01J0000000000000000000000',
  zone: 'z-braja',
  zoneName,
  level,
  peak: level,
  code: '4821',
  state: 'open',
  opened: AT - 4 * 60_000,
  updated: AT,
  reason: '',
  evidence: [],
  acks: [],
});
const note = (kind: Notification['kind'], level: Notification['level'] = 'AWAS'): Notification => ({
  incident: 'x',
  zone: 'z-braja',
  code: '4821',
  contact: 'ranger-1',
  channel: 'sms',
  kind,
  level,
  at: AT,
});
const darto: AlertContact = { id: 'ranger-1', name: 'Darto', phone: '+6281234567890', lang: 'id', roles: [] };
const sms = { driver: 'print' as const, spool: '/x' };

describe('the SMS a contact receives for a decision', () => {
  it('says the level, the place, the village time and the code, in the contact’s language', () => {
    const t = smsTemplates(sms);
    expect(notificationText(note('alert'), incident('Dsn Braja'), darto, 'Asia/Jakarta', t)).toBe(
      'AWAS GAJAH Dsn Braja (z-braja) 19:42. Jauhi ladang. Balas OK 4821',
    );
    expect(notificationText(note('reminder'), incident('Dsn Braja'), darto, 'Asia/Jakarta', t)).toBe(
      'ULANG AWAS GAJAH Dsn Braja (z-braja) sejak 19:38. Belum ada balasan. Balas OK 4821',
    );
    expect(
      notificationText(
        note('all_clear', 'NORMAL'),
        incident('Dsn Braja'),
        { ...darto, lang: 'en' },
        'Asia/Jakarta',
        t,
      ),
    ).toBe('ALL CLEAR Dsn Braja (z-braja) 19:42. Elephants have left. Code 4821 closed.');
    expect(testText(darto, AT, 'Asia/Jakarta', t)).toBe(
      'TES siaga 19:42. Uji coba SMS, bukan peringatan gajah. Balas OK 0000',
    );
  });

  it('takes a configured template for one kind and keeps the shipped ones for the rest', () => {
    const t = smsTemplates({ ...sms, templates: { id: { AWAS: 'GAJAH! {zone_name} {time} OK {code}' } } });
    expect(notificationText(note('alert'), incident('Dsn Braja'), darto, 'Asia/Jakarta', t)).toBe(
      'GAJAH! Dsn Braja 19:42 OK 4821',
    );
    expect(
      notificationText(note('alert', 'SIAGA'), incident('Dsn Braja', 'SIAGA'), darto, 'Asia/Jakarta', t),
    ).toMatch(/^SIAGA GAJAH Dsn Braja/);
  });

  it('is always one GSM-7 segment and always carries the code, whatever the zone is called', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }),
        fc.constantFrom<Notification['kind']>('alert', 'update', 'reminder', 'reconfirm', 'all_clear'),
        fc.constantFrom<'id' | 'en'>('id', 'en'),
        (name, kind, lang) => {
          const text = notificationText(
            note(kind),
            incident(name),
            { ...darto, lang },
            'Asia/Jakarta',
            smsTemplates(sms),
          );
          expect(septets(text)).toBeLessThanOrEqual(160);
          expect(text).toContain('4821');
        },
      ),
    );
  });
});

describe('a phone number shown to people who need not know it', () => {
  it('keeps the country and operator prefix and the last four digits', () => {
    expect(maskPhone('+6281234567890')).toBe('+62812****7890');
  });

  it('never shows the middle digits of any E.164 number', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\+[1-9]\d{9,14}$/), (phone) => {
        const masked = maskPhone(phone);
        expect(masked).toHaveLength(phone.length);
        expect(masked.slice(6, -4)).toMatch(/^\**$/);
      }),
    );
  });
});
