import type { Config } from '../config/schema.js';
import { DEFAULT_TZ, formatLocalTime } from '../util/local-time.js';

export { DEFAULT_TZ };

/** The site's time zone (`gateway.site.tz`, WIB by default); WIB when there is no config at all. */
export function siteTz(config: Pick<Config, 'gateway'> | undefined): string {
  return config?.gateway.site.tz ?? DEFAULT_TZ;
}

/**
 * `2026-12-01 10:24 WIB`: year first so no reader takes 12/1 for 12 January, and the zone named
 * because a technician's laptop is often set to another one.
 */
export function formatLocal(ms: number, tz: string = DEFAULT_TZ, opts: { seconds?: boolean } = {}): string {
  return formatLocalTime(ms, tz, opts);
}
