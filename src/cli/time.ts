import type { Config } from '../config/schema.js';
import { DEFAULT_TZ } from '../util/local-time.js';

/** The site's time zone (`gateway.site.tz`, WIB by default); WIB when there is no config at all. */
export function siteTz(config: Pick<Config, 'gateway'> | undefined): string {
  return config?.gateway.site.tz ?? DEFAULT_TZ;
}
