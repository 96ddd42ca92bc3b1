import type { Level, ReadingType } from '../domain/index.js';
import { formatLocalTime } from '../util/local-time.js';
import type { Incident, IncidentPlace } from './types.js';

/**
 * What a CAP document says to people, in Bahasa Indonesia and English: the level and sensor words,
 * the instructions per response type, the headline and the description. The XML structure is cap.ts.
 */

export type ResponseType = 'Avoid' | 'Prepare' | 'Monitor' | 'AllClear';

const LEVEL_WORDS: Record<Level, { id: string; en: string }> = {
  AWAS: { id: 'AWAS', en: 'AWAS (danger)' },
  SIAGA: { id: 'SIAGA', en: 'SIAGA (alert)' },
  WASPADA: { id: 'WASPADA', en: 'WASPADA (watch)' },
  NORMAL: { id: 'NORMAL', en: 'NORMAL' },
};

const KIND_WORDS: Record<ReadingType, { id: string; en: string }> = {
  cam: { id: 'kamera', en: 'camera trap' },
  gps: { id: 'kalung GPS', en: 'GPS collar' },
  seis: { id: 'geofon', en: 'geophone' },
  beam: { id: 'sinar inframerah', en: 'infrared beam' },
  pir: { id: 'sensor gerak', en: 'motion sensor' },
  fence: { id: 'pagar listrik', en: 'electric fence' },
  btn: { id: 'tombol darurat', en: 'panic button' },
  hb: { id: 'detak node', en: 'heartbeat' },
};

export const INSTRUCTION: Record<ResponseType, { id: string; en: string }> = {
  Avoid: {
    id: 'Jauhi ladang dan jalur gajah. Jangan mengusir gajah sendiri; tunggu tim ERU dan polisi hutan.',
    en: 'Keep away from the fields and elephant trails. Do not drive the elephants away yourselves; wait for the ERU and the rangers.',
  },
  Prepare: {
    id: 'Bersiap: jangan ke ladang malam ini, siapkan penerangan dan tunggu kabar dari pos jaga.',
    en: 'Get ready: stay out of the fields tonight, prepare lights and wait for word from the guard post.',
  },
  Monitor: {
    id: 'Tetap waspada dan laporkan tanda gajah ke pos jaga.',
    en: 'Stay watchful and report any sign of elephants to the guard post.',
  },
  AllClear: {
    id: 'Keadaan aman kembali. Tetap laporkan tanda gajah ke pos jaga.',
    en: 'All clear. Keep reporting any sign of elephants to the guard post.',
  },
};

export type Lang = 'id' | 'en';

/** The two `<info>` blocks, Indonesian first: people read Bahasa Indonesia first. */
export const LANGS: { lang: Lang; tag: string }[] = [
  { lang: 'id', tag: 'id-ID' },
  { lang: 'en', tag: 'en-US' },
];

function evidenceWords(incident: Incident, lang: Lang): string {
  const byKind = new Map<ReadingType, string[]>();
  for (const e of incident.evidence) {
    if (e.type === 'hb') continue;
    const nodes = byKind.get(e.type) ?? [];
    if (!nodes.includes(e.node)) nodes.push(e.node);
    byKind.set(e.type, nodes);
  }
  if (byKind.size === 0) return lang === 'id' ? 'tidak ada' : 'none';
  return [...byKind].map(([kind, nodes]) => `${KIND_WORDS[kind][lang]} (${nodes.join(', ')})`).join(', ');
}

export function headline(incident: Incident, place: IncidentPlace, lang: Lang, allClear: boolean): string {
  if (allClear) {
    return lang === 'id'
      ? `Aman: gajah liar tidak lagi di ${incident.zoneName}, ${place.villageName}`
      : `All clear: wild elephants no longer at ${incident.zoneName}, ${place.villageName}`;
  }
  const level = LEVEL_WORDS[incident.level][lang];
  return lang === 'id'
    ? `${level}: gajah liar di ${incident.zoneName}, ${place.villageName}`
    : `${level}: wild elephants at ${incident.zoneName}, ${place.villageName}`;
}

export function description(incident: Incident, place: IncidentPlace, lang: Lang): string {
  const since = formatLocalTime(incident.opened, place.tz);
  const peak = LEVEL_WORDS[incident.peak][lang];
  const evidence = evidenceWords(incident, lang);
  const code = incident.code;
  const said = incident.reason.trim().replace(/\.*$/, '');
  const reason = said ? `${said.charAt(0).toUpperCase()}${said.slice(1)}. ` : '';
  return lang === 'id'
    ? `Kejadian ${incident.id} sejak ${since}, tingkat tertinggi ${peak}. Bukti: ${evidence}. ` +
        `${reason}Kode konfirmasi: ${code}.`
    : `Incident ${incident.id} since ${since}, highest level ${peak}. Evidence: ${evidence}. ` +
        `${reason}Acknowledgement code: ${code}.`;
}
