import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOGUES, lang, placeholders, translate } from '../../src/i18n/index.js';

describe('i18n', () => {
  it('picks Bahasa Indonesia from LC_ALL, LC_MESSAGES, then LANG, English otherwise', () => {
    expect(lang({ LANG: 'id_ID.UTF-8' })).toBe('id');
    expect(lang({ LANG: 'id' })).toBe('id');
    expect(lang({ LANG: 'in_ID' })).toBe('id');
    expect(lang({ LANG: 'en_US.UTF-8' })).toBe('en');
    expect(lang({ LANG: 'C.UTF-8' })).toBe('en');
    expect(lang({})).toBe('en');
    expect(lang({ LANG: 'id_ID.UTF-8', LC_ALL: 'C' })).toBe('en');
    expect(lang({ LANG: 'en_GB.UTF-8', LC_MESSAGES: 'id_ID.UTF-8' })).toBe('id');
    expect(lang({ LANG: 'id_ID.UTF-8', LC_ALL: '' })).toBe('id');
    // "ido" (Ido) and "idx" are not Indonesian.
    expect(lang({ LANG: 'ido' })).toBe('en');
  });

  it('has every message in both languages with the same placeholders', () => {
    const en = CATALOGUES.en;
    const id = CATALOGUES.id;
    expect(Object.keys(id).sort()).toEqual(Object.keys(en).sort());
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(id[key].trim(), key).not.toBe('');
      expect(placeholders(id[key]), key).toEqual(placeholders(en[key]));
    }
    // Translated, not copied: the long sentences differ between the languages.
    expect(id['init.intro']).not.toBe(en['init.intro']);
    expect(id['help.exit_codes']).not.toBe(en['help.exit_codes']);
  });

  it('fills placeholders with any value and leaves an unknown one visible', () => {
    expect(translate('id', 'init.wrote', { file: '/etc/siaga/siaga.yaml' })).toBe(
      'menulis /etc/siaga/siaga.yaml',
    );
    expect(translate('en', 'init.wrote')).toBe('wrote {file}');
    fc.assert(
      fc.property(fc.string(), (file) => {
        expect(translate('en', 'init.wrote', { file })).toBe(`wrote ${file}`);
      }),
    );
  });
});
