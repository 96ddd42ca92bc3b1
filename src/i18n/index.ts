import { en, id, type MessageId } from './catalogue.js';

export type { MessageId } from './catalogue.js';
export type Lang = 'id' | 'en';
export type Vars = Readonly<Record<string, string | number>>;

export const CATALOGUES: Readonly<Record<Lang, Readonly<Record<MessageId, string>>>> = { en, id };

/**
 * The language of the messages, from the POSIX locale variables in their order of precedence
 * (LC_ALL, then LC_MESSAGES, then LANG; an empty one is skipped). `id_ID.UTF-8`, `id` and the
 * old `in_ID` mean Bahasa Indonesia; anything else, or nothing, English.
 */
export function lang(env: Readonly<Record<string, string | undefined>>): Lang {
  const locale = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((v) => v !== undefined && v !== '');
  return locale !== undefined && /^(id|in)([_.@-]|$)/i.test(locale) ? 'id' : 'en';
}

/** The message `key` in `language` with `{name}` placeholders filled; an unknown placeholder stays visible. */
export function translate(language: Lang, key: MessageId, vars: Vars = {}): string {
  const text = CATALOGUES[language][key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(vars, name) ? String(vars[name]) : whole,
  );
}

export type Translate = (key: MessageId, vars?: Vars) => string;

/** `t(key, vars)` bound to one language. */
export function translator(language: Lang): Translate {
  return (key, vars) => translate(language, key, vars);
}

/** English: what scripts and logs get (`--json`), whatever the locale. */
export const EN: Translate = translator('en');

/** The placeholders a message uses, so tests can hold both languages to the same ones. */
export function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string))].sort();
}
