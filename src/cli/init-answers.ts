import type { z } from 'zod';
import { buildConfigSchema } from '../config/schema.js';

/** What `siaga init` asks; each is checked by the same schema piece the config check uses. */
export interface InitAnswers {
  name: string;
  code: string;
  lat: number;
  lon: number;
  id: string;
  /** Empty: the gateway runs local-only. */
  centre: string;
  username: string;
  /** Empty: no password (e.g. a client certificate, added by hand). */
  password: string;
  serial: string[];
  zone: string;
  node: string;
  nodeType: string;
}

const shape = buildConfigSchema().shape;
const site = shape.gateway.shape.site.shape;
const node = shape.nodes.unwrap().shape;

export const FIELD_SCHEMAS = {
  name: site.name,
  code: site.village_code,
  lat: site.lat,
  lon: site.lon,
  id: shape.gateway.shape.id,
  centre: shape.uplink.unwrap().shape.url,
  node: node.id,
  nodeType: node.type,
} satisfies Partial<Record<keyof InitAnswers, z.ZodType>>;

/** The first problem with `value` for `field`, or undefined when it is fine. */
export function problemWith(field: keyof typeof FIELD_SCHEMAS, value: unknown): string | undefined {
  const r = FIELD_SCHEMAS[field].safeParse(value);
  return r.success ? undefined : (r.error.issues[0]?.message ?? 'invalid');
}

/** `Braja Harjosari` → `braja-harjosari`: an id-safe slug of at most `max` characters. */
export function slug(text: string, max: number): string {
  const s = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/, '');
  return s || 'desa';
}

export const defaultGatewayId = (name: string) => `gw-${slug(name, 29)}`;
export const zoneId = (zoneName: string) => `z-${slug(zoneName, 30)}`;
export const UPLINK_PASSWORD_FILE = 'uplink.pass';
export const COMMAND_KEY_ID = 'ops-1';
export const COMMAND_KEY_FILE = `cmd-${COMMAND_KEY_ID}.key`;

/**
 * The config `siaga init` writes: secrets only as `*_file` names next to the config (relative, so
 * the folder can be moved), no sirens yet, one zone and its first node so the file is valid.
 */
export function initConfig(a: InitAnswers): Record<string, unknown> {
  const zone = zoneId(a.zone);
  return {
    gateway: { id: a.id, site: { name: a.name, village_code: a.code, lat: a.lat, lon: a.lon } },
    storage: { path: '/var/lib/siaga/siaga.db' },
    ...(a.centre
      ? {
          uplink: {
            url: a.centre,
            username: a.username || a.id,
            ...(a.password ? { password_file: UPLINK_PASSWORD_FILE } : {}),
          },
          commands: { keys: [{ id: COMMAND_KEY_ID, secret_file: COMMAND_KEY_FILE }] },
        }
      : {}),
    serial: a.serial.map((port) => ({ port, baud: 115200 })),
    nodes: [{ id: a.node, type: a.nodeType, zone }],
    zones: [{ id: zone, name: a.zone, sirens: [] }],
  };
}
