import type { SmsPriority } from '../../src/ports/sms.js';

/**
 * gammu-smsd's FILES backend file names (gammu-smsd-files(7)). Outbox:
 * `OUT<priority><date>_<time>_<serial>_<recipient>_<note>.txt`, the priority a letter A–Z with A
 * sent first; siaga puts its message id in `<note>` to find the file again in sent/ or error/.
 * Inbox: `IN<date>_<time>_<serial>_<sender>_<sequence>.<txt|bin>`.
 */

export const SPOOL_FOLDERS = ['inbox', 'outbox', 'sent', 'error'] as const;

/** AWAS ahead of everything queued; the rest in the order written. */
const PRIORITY_LETTER: Record<SmsPriority, string> = { urgent: 'A', normal: 'B' };

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function stamp(at: number): string {
  const d = new Date(at);
  return (
    `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}_` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`
  );
}

export function outboxFileName(m: {
  id: string;
  to: string;
  priority: SmsPriority;
  at: number;
  serial: number;
}): string {
  return `OUT${PRIORITY_LETTER[m.priority]}${stamp(m.at)}_${pad(m.serial % 100)}_${m.to}_${m.id}.txt`;
}

const OUTBOX = /^OUT([A-Z])(\d{8})_(\d{6})_(\d{2})_(\+\d+)_([0-9A-Z]{26})\.txt$/;

/** The parts of one of siaga's outbox names (also once moved to sent/ or error/), else null. */
export function parseOutboxName(name: string): { id: string; to: string; priority: SmsPriority } | null {
  const m = OUTBOX.exec(name);
  if (!m) return null;
  return { priority: m[1] === 'A' ? 'urgent' : 'normal', to: m[5] ?? '', id: m[6] ?? '' };
}

export function isOurs(name: string): boolean {
  return OUTBOX.test(name);
}

export interface InboxName {
  sender: string;
  /** epoch ms; gammu-smsd names the file in the local time of the machine both run on */
  at: number;
  part: number;
  ext: 'txt' | 'bin';
}

const INBOX = /^IN(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})_(\d{2})_(.+)_(\d{2})\.(txt|bin)$/;

export function parseInboxName(name: string): InboxName | null {
  const m = INBOX.exec(name);
  if (!m) return null;
  const n = (i: number) => Number(m[i]);
  return {
    at: new Date(n(1), n(2) - 1, n(3), n(4), n(5), n(6)).getTime(),
    sender: m[8] ?? '',
    part: n(9),
    ext: m[10] === 'bin' ? 'bin' : 'txt',
  };
}
