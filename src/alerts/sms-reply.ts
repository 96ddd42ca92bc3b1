import { normalizePhone } from './sms-phone.js';

/**
 * What a person texts back. `OK 4821` acknowledges; people type it on a feature phone in the dark,
 * so case, spacing and a stray full stop must not matter, but anything that is not clearly an
 * acknowledgement is refused with a reason (logged and counted), never guessed at.
 */

export type ReplyRefusal =
  /** nothing but spaces or punctuation */
  | 'empty'
  /** does not start with OK */
  | 'not_ok'
  /** OK without a code */
  | 'no_code'
  /** a code that is not exactly four digits */
  | 'bad_code'
  /** words after the code */
  | 'extra_text';

export type ReplyParse = { ok: true; code: string } | { ok: false; reason: ReplyRefusal };

/** Punctuation a hurried reply may carry around or between the words. */
const PUNCT = /[\s.,;:!?'"()\-_/]+/g;

export function parseReply(text: string): ReplyParse {
  const words = text.replace(PUNCT, ' ').trim().split(' ').filter(Boolean);
  const first = words[0];
  if (first === undefined) return { ok: false, reason: 'empty' };
  // `OK4821` typed without a space is the same reply.
  const glued = /^ok(\d+)$/i.exec(first);
  const parts = glued ? ['OK', glued[1] ?? '', ...words.slice(1)] : words;
  if ((parts[0] ?? '').toUpperCase() !== 'OK') return { ok: false, reason: 'not_ok' };
  const code = parts[1];
  if (code === undefined) return { ok: false, reason: 'no_code' };
  if (!/^\d{4}$/.test(code)) return { ok: false, reason: 'bad_code' };
  if (parts.length > 2) return { ok: false, reason: 'extra_text' };
  return { ok: true, code };
}

/** The reply a contact is asked for, as the texts print it: the inverse of `parseReply`. */
export function formatReply(code: string): string {
  return `OK ${code}`;
}

/** A contact as far as replies go: who, and the number they text from. */
export interface ReplyContact {
  id: string;
  phone: string;
}

export type ReplyMatch =
  | { ok: true; contact: string; code: string }
  | { ok: false; reason: ReplyRefusal | 'unknown_number'; from: string };

/**
 * Who acknowledged with which code, or why not. A reply from a number no contact has is refused
 * even when well formed: an acknowledgement stops the escalation, so a stranger (or a wrong
 * number) must not be able to silence it.
 */
export function matchReply(from: string, text: string, contacts: readonly ReplyContact[]): ReplyMatch {
  const sender = normalizePhone(from);
  const contact = sender === null ? undefined : contacts.find((c) => normalizePhone(c.phone) === sender);
  if (!contact) return { ok: false, reason: 'unknown_number', from: sender ?? from };
  const parsed = parseReply(text);
  if (!parsed.ok) return { ok: false, reason: parsed.reason, from: sender ?? from };
  return { ok: true, contact: contact.id, code: parsed.code };
}
