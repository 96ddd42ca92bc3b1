import type { Level } from '../domain/index.js';
import { formatLocalTime } from '../util/local-time.js';
import { fitSeptets, SMS_SEPTETS, septets, toGsm7 } from './sms-gsm7.js';
import type { Incident } from './types.js';

/**
 * The SMS people receive (issue 14): one GSM-7 segment, Indonesian unless the contact reads English,
 * the zone as villagers name it, the time on the village's clock and the code to reply with.
 * Pure: the caller passes the instant and the site's time zone.
 */

export type SmsLang = 'id' | 'en';
/** A level alert, the all-clear, a reminder of an unacknowledged alert, or a test (`TES`). */
export type SmsKind = 'WASPADA' | 'SIAGA' | 'AWAS' | 'clear' | 'reminder' | 'test';
export const SMS_KINDS: readonly SmsKind[] = ['WASPADA', 'SIAGA', 'AWAS', 'clear', 'reminder', 'test'];

/** Templates as data: text with `{level}`, `{zone_name}`, `{zone}`, `{time}`, `{code}`. */
export type SmsTemplates = Record<SmsLang, Record<SmsKind, string>>;

export const PLACEHOLDERS = ['level', 'zone_name', 'zone', 'time', 'code'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export const DEFAULT_SMS_TEMPLATES: SmsTemplates = {
  id: {
    AWAS: 'AWAS GAJAH {zone_name} ({zone}) {time}. Jauhi ladang. Balas OK {code}',
    SIAGA: 'SIAGA GAJAH {zone_name} ({zone}) {time}. Gajah mendekat, bersiaplah. Balas OK {code}',
    WASPADA: 'WASPADA GAJAH {zone_name} ({zone}) {time}. Ada tanda gajah. Balas OK {code}',
    clear: 'AMAN {zone_name} ({zone}) {time}. Gajah sudah menjauh. Kode {code} selesai.',
    reminder: 'ULANG {level} GAJAH {zone_name} ({zone}) sejak {time}. Belum ada balasan. Balas OK {code}',
    test: 'TES siaga {time}. Uji coba SMS, bukan peringatan gajah. Balas OK {code}',
  },
  en: {
    AWAS: 'AWAS ELEPHANTS {zone_name} ({zone}) {time}. Keep away from fields. Reply OK {code}',
    SIAGA: 'SIAGA ELEPHANTS {zone_name} ({zone}) {time}. Elephants near, get ready. Reply OK {code}',
    WASPADA: 'WASPADA ELEPHANTS {zone_name} ({zone}) {time}. Signs of elephants. Reply OK {code}',
    clear: 'ALL CLEAR {zone_name} ({zone}) {time}. Elephants have left. Code {code} closed.',
    reminder: 'REPEAT {level} ELEPHANTS {zone_name} ({zone}) since {time}. No reply yet. Reply OK {code}',
    test: 'TES siaga {time}. SMS test only, not an elephant alert. Reply OK {code}',
  },
};

export interface SmsTextInput {
  kind: SmsKind;
  lang: SmsLang;
  /** The level named by `{level}` (the reminder's); defaults to the kind when it is a level. */
  level?: Level;
  zone?: string;
  zoneName?: string;
  /** epoch ms shown as `{time}` (HH:MM in `tz`) */
  at: number;
  tz: string;
  code: string;
}

/** `19:42` in the site's zone: the part of `2026-12-01 19:42 WIB` a villager needs. */
export function smsClock(at: number, tz: string): string {
  return formatLocalTime(at, tz).split(' ')[1] ?? '';
}

function fill(template: string, values: Record<Placeholder, string>): string {
  return template.replace(/\{(level|zone_name|zone|time|code)\}/g, (_, k: Placeholder) => values[k]);
}

/** A name as one line of GSM-7 (a newline in a config value would split the message visually). */
function cleanField(s: string): string {
  return toGsm7(s.replace(/[\r\n\f]+/g, ' '))
    .replace(/ {2,}/g, ' ')
    .trim();
}

/**
 * The message text. Always GSM-7 and at most 160 septets: when a long zone name would not fit it is
 * shortened (then the zone id, for a template the config made too long); the code is never cut.
 */
export function formatSms(input: SmsTextInput, templates: SmsTemplates = DEFAULT_SMS_TEMPLATES): string {
  const template = toGsm7(templates[input.lang][input.kind]);
  const level =
    input.level ??
    (input.kind === 'WASPADA' || input.kind === 'SIAGA' || input.kind === 'AWAS' ? input.kind : '');
  const values: Record<Placeholder, string> = {
    level,
    zone_name: cleanField(input.zoneName ?? ''),
    zone: cleanField(input.zone ?? ''),
    time: smsClock(input.at, input.tz),
    code: cleanField(input.code),
  };
  let text = fill(template, values);
  for (const field of ['zone_name', 'zone'] as const) {
    const over = septets(text) - SMS_SEPTETS;
    if (over <= 0) break;
    values[field] = fitSeptets(values[field], Math.max(0, septets(values[field]) - over));
    text = fill(template, values);
  }
  // Only a template longer than a segment by itself gets here; config validation refuses those.
  if (septets(text) > SMS_SEPTETS) text = fitSeptets(text, SMS_SEPTETS);
  return text;
}

/** The SMS for an incident as it stands: its level, or the all-clear once it is closed. */
export function incidentSms(
  incident: Pick<Incident, 'zone' | 'zoneName' | 'level' | 'code' | 'updated' | 'opened' | 'state'>,
  opts: { lang: SmsLang; tz: string; kind?: 'reminder' | 'clear'; at?: number },
  templates: SmsTemplates = DEFAULT_SMS_TEMPLATES,
): string {
  const level = incident.level === 'NORMAL' ? undefined : incident.level;
  const kind: SmsKind = opts.kind ?? (incident.state === 'closed' || !level ? 'clear' : level);
  return formatSms(
    {
      kind,
      lang: opts.lang,
      ...(level ? { level } : {}),
      zone: incident.zone,
      zoneName: incident.zoneName,
      // A reminder says since when; the others when the level was reached.
      at: opts.at ?? (kind === 'reminder' ? incident.opened : incident.updated),
      tz: opts.tz,
      code: incident.code,
    },
    templates,
  );
}

/**
 * Why a configured template cannot be used, or nothing. A template must be GSM-7 as written (so the
 * technician sees what is sent), know only our placeholders, carry `{code}` where people reply, and
 * leave room in one segment for the time, the code and a zone id of up to 64 characters.
 */
export function templateProblems(template: string, kind: SmsKind): string[] {
  const problems: string[] = [];
  const outside = [...template].filter((c) => septets(c) === Number.POSITIVE_INFINITY);
  if (outside.length > 0) problems.push(`has characters outside GSM-7: ${[...new Set(outside)].join(' ')}`);
  for (const m of template.matchAll(/\{([^}]*)\}/g)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(m[1] ?? ''))
      problems.push(`unknown placeholder {${m[1]}}`);
  }
  if (kind !== 'clear' && !template.includes('{code}'))
    problems.push('needs {code}, the number people reply with');
  const worst = fill(toGsm7(template), {
    level: 'WASPADA',
    zone_name: '',
    zone: 'z'.repeat(64),
    time: '00:00',
    code: '0000',
  });
  if (septets(worst) > SMS_SEPTETS)
    problems.push(`is too long for one SMS (${septets(worst)} of ${SMS_SEPTETS})`);
  return problems;
}
