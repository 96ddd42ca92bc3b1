/**
 * The GSM 03.38 default alphabet: what every handset in the villages can show without falling back
 * to UCS-2, which would cut one SMS from 160 to 70 characters and cost three times the credit.
 */

/** The basic table (one septet each). ESC (0x1B) is left out: it only prefixes the extension. */
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** The extension table: each costs two septets (ESC + the character). */
const EXTENSION = '\f^{}\\[~]|€';

const basic = new Set(BASIC);
const extension = new Set(EXTENSION);

/** One SMS of the default alphabet without concatenation headers. */
export const SMS_SEPTETS = 160;

export function isGsm7(text: string): boolean {
  for (const c of text) if (!basic.has(c) && !extension.has(c)) return false;
  return true;
}

/** Septets `text` takes; Infinity when it has a character outside GSM-7. */
export function septets(text: string): number {
  let n = 0;
  for (const c of text) {
    if (basic.has(c)) n += 1;
    else if (extension.has(c)) n += 2;
    else return Number.POSITIVE_INFINITY;
  }
  return n;
}

/** Look-alikes people type or paste (from a phone, a spreadsheet) that GSM-7 lacks. */
const LOOK_ALIKE: Record<string, string> = {
  '\u2013': '-', // en dash
  '\u2014': '-', // em dash
  '\u2212': '-', // minus
  '\u2010': '-',
  '\u2011': '-',
  '\u2018': "'",
  '\u2019': "'",
  '\u201a': "'",
  '`': "'",
  '\u00b4': "'",
  '\u201c': '"',
  '\u201d': '"',
  '\u201e': '"',
  '\u2026': '...',
  '\u00a0': ' ',
  '\t': ' ',
  '\u2022': '-',
  '\u00b7': '.',
  '\u00d7': 'x',
};

/**
 * `text` in GSM-7: characters of the alphabet stay (é, ü, Ñ are in it), look-alikes are replaced,
 * other accented letters lose their accent (ā → a), and whatever is left outside GSM-7 (emoji,
 * other scripts) is dropped rather than turning the whole message into UCS-2.
 */
export function toGsm7(text: string): string {
  let out = '';
  for (const c of text) {
    if (basic.has(c) || extension.has(c)) {
      out += c;
      continue;
    }
    const alike = LOOK_ALIKE[c];
    if (alike !== undefined) {
      out += alike;
      continue;
    }
    for (const d of c.normalize('NFD')) {
      if (basic.has(d) || extension.has(d)) out += d;
    }
  }
  return out;
}

/** The longest prefix of `text` (GSM-7) that fits in `max` septets, without a trailing space. */
export function fitSeptets(text: string, max: number): string {
  let n = 0;
  let out = '';
  for (const c of text) {
    const w = extension.has(c) ? 2 : 1;
    if (n + w > max) break;
    n += w;
    out += c;
  }
  return out.trimEnd();
}
