import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGsm7, SMS_SEPTETS, septets, toGsm7 } from '../../src/alerts/sms-gsm7.js';
import { normalizePhone, samePhone } from '../../src/alerts/sms-phone.js';
import { formatReply, matchReply, parseReply } from '../../src/alerts/sms-reply.js';
import {
  DEFAULT_SMS_TEMPLATES,
  formatSms,
  incidentSms,
  SMS_KINDS,
  type SmsKind,
  templateProblems,
} from '../../src/alerts/sms-text.js';
import { BRAJA_AT, BRAJA_AWAS } from '../fixtures/sms/texts.js';

const AT = BRAJA_AT;
const TZ = 'Asia/Jakarta';

describe('SMS texts', () => {
  it('reads as the issue shows: AWAS in Indonesian with the village clock and the reply code', () => {
    const text = formatSms(BRAJA_AWAS);
    expect(text).toBe('AWAS GAJAH Dsn Braja (z-braja) 19:42. Jauhi ladang. Balas OK 4821');
  });

  it('speaks English to a contact with lang: en, and keeps the level names people know', () => {
    const text = formatSms({
      kind: 'SIAGA',
      lang: 'en',
      zone: 'z-braja',
      zoneName: 'Dsn Braja',
      at: AT,
      tz: TZ,
      code: '0042',
    });
    expect(text).toBe('SIAGA ELEPHANTS Dsn Braja (z-braja) 19:42. Elephants near, get ready. Reply OK 0042');
  });

  it('has a text for every level, the all-clear, a reminder and a TES message, each with its code', () => {
    const texts = SMS_KINDS.map((kind) =>
      formatSms({
        kind,
        lang: 'id',
        level: 'AWAS',
        zone: 'z-1',
        zoneName: 'Dsn Satu',
        at: AT,
        tz: TZ,
        code: '1234',
      }),
    );
    expect(texts[0]).toMatch(/^WASPADA GAJAH/);
    expect(texts[1]).toMatch(/^SIAGA GAJAH/);
    expect(texts[2]).toMatch(/^AWAS GAJAH/);
    expect(texts[3]).toMatch(/^AMAN Dsn Satu/);
    expect(texts[4]).toMatch(/^ULANG AWAS GAJAH Dsn Satu \(z-1\) sejak 19:42/);
    expect(texts[5]).toMatch(/^TES /);
    for (const t of texts) expect(t).toContain('1234');
  });

  it('shows the time in the site zone, whatever zone the Pi runs in', () => {
    const wita = formatSms({
      kind: 'AWAS',
      lang: 'id',
      zone: 'z',
      zoneName: 'X',
      at: AT,
      tz: 'Asia/Makassar',
      code: '1111',
    });
    expect(wita).toContain(' 20:42.');
  });

  it('turns accents and dashes into GSM-7 instead of sending UCS-2 (70 characters)', () => {
    const text = formatSms({
      kind: 'AWAS',
      lang: 'id',
      zone: 'z-sā',
      zoneName: 'Dusun Sūkadana – Blok “C” 🐘',
      at: AT,
      tz: TZ,
      code: '4821',
    });
    expect(text).toBe('AWAS GAJAH Dusun Sukadana - Blok "C" (z-sa) 19:42. Jauhi ladang. Balas OK 4821');
    expect(isGsm7(text)).toBe(true);
    // é is in GSM-7 itself and stays
    expect(toGsm7('Café')).toBe('Café');
  });

  it('counts extension characters as two septets', () => {
    expect(septets('[a]€')).toBe(7);
    expect(septets('ок')).toBe(Number.POSITIVE_INFINITY);
  });

  it('shortens a long zone name, never the code, to stay in one SMS', () => {
    const text = formatSms({
      kind: 'reminder',
      lang: 'en',
      level: 'AWAS',
      zone: 'z-long',
      zoneName: 'Kampung '.repeat(40),
      at: AT,
      tz: TZ,
      code: '9876',
    });
    expect(septets(text)).toBeLessThanOrEqual(SMS_SEPTETS);
    expect(text.endsWith('Reply OK 9876')).toBe(true);
    expect(text).toContain('(z-long)');
  });

  it('property: every text is GSM-7 in one segment for any zone name and zone id up to 64', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SMS_KINDS),
        fc.constantFrom('id' as const, 'en' as const),
        fc.string({ unit: 'binary', maxLength: 400 }),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 }),
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        (kind: SmsKind, lang, zoneName, zone, n, at) => {
          const code = String(n).padStart(4, '0');
          const text = formatSms({ kind, lang, level: 'SIAGA', zone, zoneName, at, tz: TZ, code });
          expect(isGsm7(text)).toBe(true);
          expect(septets(text)).toBeLessThanOrEqual(SMS_SEPTETS);
          expect(text).toContain(code);
        },
      ),
    );
  });

  it('property: the reply a text asks for parses back to its code', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }),
        fc.constantFrom('id' as const, 'en' as const),
        (n, lang) => {
          const code = String(n).padStart(4, '0');
          const text = formatSms({ kind: 'AWAS', lang, zone: 'z', zoneName: 'Z', at: AT, tz: TZ, code });
          const asked = /(OK \d{4})$/.exec(text)?.[1] ?? '';
          expect(asked).toBe(formatReply(code));
          expect(parseReply(asked)).toEqual({ ok: true, code });
          expect(parseReply(` ${asked.toLowerCase()}. `)).toEqual({ ok: true, code });
        },
      ),
    );
  });

  it('writes the incident as it stands: its level while open, the all-clear once closed', () => {
    const inc = {
      zone: 'z-braja',
      zoneName: 'Dsn Braja',
      level: 'AWAS' as const,
      code: '4821',
      opened: AT,
      updated: AT,
      state: 'open' as const,
    };
    expect(incidentSms(inc, { lang: 'id', tz: TZ })).toBe(
      'AWAS GAJAH Dsn Braja (z-braja) 19:42. Jauhi ladang. Balas OK 4821',
    );
    expect(incidentSms({ ...inc, level: 'NORMAL', state: 'closed' }, { lang: 'id', tz: TZ })).toMatch(
      /^AMAN Dsn Braja/,
    );
    expect(incidentSms(inc, { lang: 'id', tz: TZ, kind: 'reminder' })).toMatch(/^ULANG AWAS/);
  });

  it('names what is wrong with a configured template', () => {
    for (const [, set] of Object.entries(DEFAULT_SMS_TEMPLATES)) {
      for (const kind of SMS_KINDS) expect(templateProblems(set[kind], kind)).toEqual([]);
    }
    expect(templateProblems('AWAS {zona} ✓', 'AWAS')).toEqual([
      'has characters outside GSM-7: ✓',
      'unknown placeholder {zona}',
      'needs {code}, the number people reply with',
    ]);
    expect(templateProblems(`${'x'.repeat(120)} {zone} {code}`, 'AWAS')[0]).toMatch(/too long for one SMS/);
  });
});

describe('replies', () => {
  it.each([
    ['OK 4821', '4821'],
    ['ok 4821', '4821'],
    ['  Ok   4821  ', '4821'],
    ['OK4821', '4821'],
    ['OK, 4821.', '4821'],
    ['ok-4821!', '4821'],
  ])('%j acknowledges %s', (text, code) => {
    expect(parseReply(text)).toEqual({ ok: true, code });
  });

  it.each([
    ['', 'empty'],
    [' ..', 'empty'],
    ['Siap 4821', 'not_ok'],
    ['4821', 'not_ok'],
    ['OK', 'no_code'],
    ['OK 482', 'bad_code'],
    ['OK 48210', 'bad_code'],
    ['OK abcd', 'bad_code'],
    ['OK 4821 sudah di lokasi', 'extra_text'],
  ])('%j is refused: %s', (text, reason) => {
    expect(parseReply(text)).toEqual({ ok: false, reason });
  });
});

describe('phone numbers', () => {
  it.each([
    ['081234567890', '+6281234567890'],
    ['6281234567890', '+6281234567890'],
    ['+6281234567890', '+6281234567890'],
    ['0812-3456-7890', '+6281234567890'],
    ['+62 812 3456 7890', '+6281234567890'],
    ['006281234567890', '+6281234567890'],
    ['+31612345678', '+31612345678'],
  ])('%s is %s', (raw, e164) => {
    expect(normalizePhone(raw)).toBe(e164);
  });

  it.each(['', 'abc', '12345', '+0812345678', '0812', '+1234567890123456'])(
    '%j is not a phone number',
    (raw) => {
      expect(normalizePhone(raw)).toBeNull();
    },
  );

  it('matches a reply from a known number however the operator writes it', () => {
    expect(samePhone('081234567890', '+6281234567890')).toBe(true);
    expect(samePhone('6281234567890', '081234567890')).toBe(true);
    expect(samePhone('081234567890', '081234567891')).toBe(false);
  });
});

describe('replies from people', () => {
  const contacts = [
    { id: 'ranger-1', phone: '+6281234567890' },
    { id: 'kades', phone: '081298765432' },
  ];

  it('acknowledges for the contact whose number sent it, however the operator wrote the number', () => {
    expect(matchReply('6281234567890', 'Ok 4821', contacts)).toEqual({
      ok: true,
      contact: 'ranger-1',
      code: '4821',
    });
    expect(matchReply('+6281298765432', 'OK 0007', contacts)).toEqual({
      ok: true,
      contact: 'kades',
      code: '0007',
    });
  });

  it.each([
    // a well-formed OK from an unknown number, naming the number
    ['081200000000', 'OK 4821', 'unknown_number', '+6281200000000'],
    ['TELKOMSEL', 'OK 4821', 'unknown_number', 'TELKOMSEL'],
    // a malformed reply from a known number, with the reason
    ['+6281234567890', 'siap', 'not_ok', '+6281234567890'],
  ])('refuses %s %j: %s', (from, text, reason, shown) => {
    expect(matchReply(from, text, contacts)).toEqual({ ok: false, reason, from: shown });
  });
});
