import type { Config } from '../config/schema.js';

/** Indonesia's three zones by their everyday names; a site elsewhere gets its UTC offset. */
const ZONE_NAMES: Record<string, string> = {
  'Asia/Jakarta': 'WIB',
  'Asia/Pontianak': 'WIB',
  'Asia/Makassar': 'WITA',
  'Asia/Jayapura': 'WIT',
};

export const DEFAULT_TZ = 'Asia/Jakarta';

/** The site's time zone: `gateway.site.tz` when the config has one, else WIB (Way Kambas). */
export function siteTz(config: Pick<Config, 'gateway'> | undefined): string {
  const tz = (config?.gateway.site as { tz?: unknown } | undefined)?.tz;
  return typeof tz === 'string' && tz !== '' ? tz : DEFAULT_TZ;
}

function parts(ms: number, tz: string): Record<string, string> {
  const f = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  return Object.fromEntries(f.formatToParts(ms).map((p) => [p.type, p.value]));
}

function zoneLabel(ms: number, tz: string): string {
  const named = ZONE_NAMES[tz];
  if (named) return named;
  const p = parts(ms, tz);
  const local = Date.UTC(
    Number(p.year),
    Number(p.month) - 1,
    Number(p.day),
    Number(p.hour),
    Number(p.minute),
  );
  const offsetMin = Math.round((local - Math.floor(ms / 60_000) * 60_000) / 60_000);
  const sign = offsetMin < 0 ? '-' : '+';
  const a = Math.abs(offsetMin);
  return `UTC${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/**
 * `2026-12-01 10:24 WIB`: year first so no reader takes 12/1 for 12 January, and the zone named
 * because a technician's laptop is often set to another one.
 */
export function formatLocal(ms: number, tz: string = DEFAULT_TZ, opts: { seconds?: boolean } = {}): string {
  const p = parts(ms, tz);
  const time = `${p.hour}:${p.minute}${opts.seconds ? `:${p.second}` : ''}`;
  return `${p.year}-${p.month}-${p.day} ${time} ${zoneLabel(ms, tz)}`;
}
