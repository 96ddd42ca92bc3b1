/**
 * Phone numbers in E.164. Contacts are written `0812…` or `+62812…`, and the modem reports a
 * sender as `+62812…`, `62812…` or `0812…` depending on the operator: one form makes a reply from a
 * known number match its contact.
 */

/** Indonesia's country code: a national number (leading 0) is taken as Indonesian. */
const COUNTRY = '62';

/** `+62812…` for any usual writing of the number, or null when it is not a phone number. */
export function normalizePhone(raw: string): string | null {
  const compact = raw.trim().replace(/[\s\-.()/]/g, '');
  let digits: string;
  if (compact.startsWith('+')) digits = compact.slice(1);
  else if (compact.startsWith('00')) digits = compact.slice(2);
  else if (compact.startsWith('0')) digits = COUNTRY + compact.slice(1);
  else if (compact.startsWith(COUNTRY)) digits = compact;
  else return null;
  // E.164 allows at most 15 digits; fewer than 8 is a short code, not a person.
  if (!/^[1-9]\d{7,14}$/.test(digits)) return null;
  return `+${digits}`;
}

/** True when two writings are the same number. */
export function samePhone(a: string, b: string): boolean {
  const na = normalizePhone(a);
  return na !== null && na === normalizePhone(b);
}

/** `+62812****7890`: enough for a technician to recognise a number, not enough to publish it. */
export function maskPhone(phone: string): string {
  if (phone.length <= 8) return phone.replace(/\d(?=\d{2})/g, '*');
  return `${phone.slice(0, 6)}${'*'.repeat(Math.max(0, phone.length - 10))}${phone.slice(-4)}`;
}
