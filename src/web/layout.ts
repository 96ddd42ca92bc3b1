import type { Config } from '../config/schema.js';
import type { GatewayEvent } from '../domain/index.js';

/**
 * What the page draws that only the config knows (names, positions, which siren serves which
 * zone), embedded in the HTML. No secret is in it: no keys, hashes, phone numbers or paths.
 */
export function pageLayout(config: Config, lastLevels: GatewayEvent[], alerts: boolean) {
  const { site } = config.gateway;
  return {
    gateway: config.gateway.id,
    site: { name: site.name, lat: site.lat, lon: site.lon, tz: site.tz, village_code: site.village_code },
    zones: config.zones.map((z) => ({
      id: z.id,
      name: z.name,
      sirens: z.sirens,
      center: z.center ?? null,
      radius_m: z.radius_m,
    })),
    nodes: config.nodes.map((n) => ({
      id: n.id,
      zone: n.zone,
      type: n.type,
      name: n.name ?? null,
      lat: n.lat ?? null,
      lon: n.lon ?? null,
    })),
    max_silence_min: config.siren_policy.max_silence_min,
    alerts,
    public_view: config.web.public_view,
    last_levels: Object.fromEntries(lastLevels.map((e) => [String(e.fields.zone), e])),
  };
}

/** JSON safe inside a `<script>` element (no `</script>`, no `<!--`). */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
