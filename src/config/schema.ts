import { validate as validateCron } from 'node-cron';
import { z } from 'zod';
import { READING_TYPES } from '../domain/index.js';
import { DEFAULT_TZ, isTimeZone } from '../util/local-time.js';

/**
 * The one schema of the config file: the source of the TypeScript types and of the documented
 * defaults (config/siaga.example.yaml mirrors it). Cross-references are checked in `refs.ts`.
 */

import { alertsSchema } from './schema-alerts.js';
import { id } from './schema-id.js';
import { loraSchema } from './schema-lora.js';
import { neighboursSchema } from './schema-neighbours.js';
import { sirensSchema } from './schema-sirens.js';

// zod compiles a fast path (new Function) for each object schema on its first parse: the config
// is parsed once per start or reload, and the centre's commands rarely, so the compiling costs
// more than it saves (-25 ms to online, -50 ms per reload).
z.config({ jitless: true });

/**
 * Builds the schema. `siaga run` builds it to check the file, then drops it, so its ~2 MB of zod
 * objects are garbage for the gateway's life (a SIGHUP reload builds it again): nothing may keep
 * it or a part of it at module level.
 */
export function buildConfigSchema() {
  const port = z.number().int().min(1).max(65535);
  const cron = z.string().refine((s) => validateCron(s), { message: 'is not a valid cron expression' });
  const latitude = z.number().min(-90).max(90);
  const longitude = z.number().min(-180).max(180);

  const site = z.strictObject({
    name: z.string().min(1),
    village_code: z
      .string()
      .regex(/^\d{2}\.\d{2}\.\d{2}\.\d{4}$/, 'must be a Kemendagri village code such as "18.07.11.2005"'),
    park: z.string().default('TNWK'),
    lat: latitude,
    lon: longitude,
    /** The site's IANA time zone: local days (summary, export, `today`) and every schedule use it. */
    tz: z
      .string()
      .refine(isTimeZone, { message: 'is not a time zone; use an IANA name such as "Asia/Jakarta"' })
      .default(DEFAULT_TZ),
  });

  const gateway = z.strictObject({
    id,
    site,
    /** Readings received before this date are flagged clock_ok=false (a Pi has no RTC). */
    min_valid_time: z.iso.datetime({ offset: true }).or(z.iso.date()).default('2026-11-01'),
  });

  const storage = z.strictObject({
    path: z.string().min(1).default('/var/lib/siaga/siaga.db'),
    retention_days: z.number().int().min(1).max(3650).default(30),
    /** Events the centre has received are kept this long (unforwarded ones are never pruned). */
    events_retention_days: z.number().int().min(1).max(3650).default(365),
    max_db_mb: z.number().int().min(16).default(2048),
    /** While the disk refuses writes, readings held in memory are bounded by this (oldest dropped, counted). */
    disk_full_memory_mb: z.number().int().min(1).max(512).default(16),
    group_commit: z
      .strictObject({
        /** A kill -9 while frames stream in loses at most this many routine readings. */
        max_rows: z.number().int().min(1).max(100_000).default(100),
        /** Node state changed without a reading; evidence, events and PUBACKs commit at once (commit-policy.ts). */
        max_delay_ms: z.number().int().min(0).max(1000).default(5),
        /** Heartbeats and quiet sensor frames may wait this long to share a commit (SD-card wear). */
        routine_delay_ms: z.number().int().min(0).max(60_000).default(5000),
      })
      .prefault({}),
  });

  const uplinkUrl = z
    .string()
    .regex(/^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/, 'must be an mqtt://, mqtts://, ws:// or wss:// URL');

  const uplink = z
    .strictObject({
      /** One broker, or a failover list tried in order (src/uplink/connection.ts says how). */
      url: z.union([uplinkUrl, z.array(uplinkUrl).min(1, 'needs at least one URL').max(8)], {
        error: 'must be a broker URL (mqtts://host:8883) or a list of them, tried in order',
      }),
      client_id: z.string().min(1).optional(),
      username: z.string().min(1).optional(),
      password: z.string().optional(),
      password_file: z.string().optional(),
      ca_file: z.string().optional(),
      cert_file: z.string().optional(),
      key_file: z.string().optional(),
      protocol_version: z.union([z.literal(4), z.literal(5)]).default(4),
      keepalive_s: z.number().int().min(5).max(1200).default(60),
      batch: z
        .strictObject({
          max_readings: z.number().int().min(1).max(5000).default(200),
          /** Only while batches are in flight: an idle link publishes at once (uplink/batch-policy.ts). */
          max_delay_ms: z.number().int().min(0).max(60_000).default(1000),
          /** Keep ≤ the central broker's message_size_limit: Mosquitto 3.1.1 PUBACKs and drops a bigger one. */
          max_bytes: z
            .number()
            .int()
            .min(1024)
            .max(256 * 1024 * 1024)
            .default(256 * 1024),
        })
        .prefault({}),
      max_inflight: z.number().int().min(1).max(64).default(64),
      live_readings: z.boolean().default(true),
      compress: z.enum(['none', 'deflate']).default('none'),
      stall_s: z.number().int().min(5).max(3600).default(60),
      backoff: z
        .strictObject({
          min_ms: z.number().int().min(100).default(1000),
          max_ms: z.number().int().min(1000).default(60_000),
        })
        .prefault({}),
    })
    .optional();

  const commandKey = z.strictObject({
    id: z.string().min(1).max(64),
    secret: z.string().min(16, 'must be at least 16 characters').optional(),
    secret_file: z.string().optional(),
  });

  const commands = z
    .strictObject({
      keys: z.array(commandKey).default([]),
      max_skew_s: z.number().int().min(1).max(3600).default(60),
    })
    .prefault({});

  const brokerUser = z.strictObject({
    username: z.string().min(1).max(64),
    password_hash: z
      .string()
      .regex(/^scrypt\$/, 'must be a hash printed by `siaga passwd` (starts with "scrypt$")'),
    role: z.enum(['node', 'siren', 'viewer', 'operator', 'admin']),
    node: id.optional(),
    siren: id.optional(),
  });

  const localBroker = z
    .strictObject({
      enabled: z.boolean().default(false),
      host: z.string().default('127.0.0.1'),
      port: port.default(1883),
      tls: z.strictObject({ cert_file: z.string(), key_file: z.string() }).optional(),
      max_connections: z.number().int().min(1).max(10_000).default(200),
      max_payload_bytes: z.number().int().min(64).max(262_144).default(16_384),
      auth_fail_limit: z.number().int().min(1).default(5),
      connect_timeout_s: z.number().min(0.5).max(10).default(3),
      max_pending_per_address: z.number().int().min(1).default(8),
      max_pending_share: z.number().gt(0).max(1).default(0.25),
      users: z.array(brokerUser).default([]),
    })
    .prefault({});

  const serialPort = z.strictObject({
    port: z.string().min(1),
    baud: z.number().int().positive().default(115200),
    name: z.string().optional(),
  });

  const lora = loraSchema(port);

  const node = z.strictObject({
    id,
    type: z.enum(READING_TYPES),
    zone: id,
    name: z.string().optional(),
    expect_every_s: z.number().int().min(1).optional(),
    bat_low: z.number().min(0).optional(),
    lat: latitude.optional(),
    lon: longitude.optional(),
  });

  const zone = z.strictObject({
    id,
    name: z.string().min(1),
    sirens: z.array(id).default([]),
    center: z.tuple([latitude, longitude]).optional(),
    radius_m: z.number().positive().max(50_000).default(1500),
  });

  /**
   * Detection defaults, tuned with `npm run bench:detect` (issue 19; README, How well it detects):
   * small weights for the weak sensors, so only a node that keeps firing reaches its cap (a herd
   * passing does, rain or a monkey does not), and a 20-minute window that spans a herd's walk from
   * the park edge past the geophones.
   */
  const detection = z
    .strictObject({
      window_s: z.number().int().min(1).default(1200),
      hold_s: z.number().int().min(0).default(1800),
      node_cap: z.number().min(0).default(40),
      kind_cap: z.number().min(0).default(40),
      min_conf: z.number().min(0).max(1).default(0.6),
      seis_min_pgv: z.number().min(0).default(0.2),
      fence_min_kv: z.number().min(0).default(4.0),
      thresholds: z
        .strictObject({
          waspada: z.number().positive().default(30),
          siaga: z.number().positive().default(60),
          awas: z.number().positive().default(100),
        })
        .prefault({})
        .refine((t) => t.waspada < t.siaga && t.siaga < t.awas, {
          message: 'must rise: waspada < siaga < awas',
        }),
      weights: z
        .strictObject({
          cam_elephant: z.number().min(0).default(70),
          cam_human: z.number().min(0).default(0),
          seis: z.number().min(0).default(6),
          beam: z.number().min(0).default(40),
          pir_per_detection: z.number().min(0).default(5),
          pir_max_per_frame: z.number().min(0).default(20),
          fence_low: z.number().min(0).default(5),
          gps_inside: z.number().min(0).default(60),
        })
        .prefault({}),
      corroboration: z
        .strictObject({
          weight: z.number().min(0).default(3),
          max: z.number().min(0).default(50),
          kinds: z
            .array(z.enum(['pir', 'seis', 'beam', 'fence', 'cam', 'gps']))
            .default(['seis', 'beam', 'fence', 'cam', 'gps']),
          lead_min: z.number().min(0).default(30),
          fresh_s: z.number().int().min(0).default(5400),
        })
        .prefault({}),
    })
    .prefault({});

  const { siren, sirenPolicy } = sirensSchema();

  const schedules = z
    .strictObject({
      prune: cron.default('15 3 * * *'),
      summary: cron.default('5 0 * * *'),
      self_test: cron.default('0 10 * * 1'),
      heartbeat: cron.default('* * * * *'),
      node_check: cron.default('* * * * *'),
    })
    .prefault({});

  const log = z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({});

  const control = z
    .strictObject({
      /** Unix socket the CLI talks to; default: `siaga.sock` next to the database. */
      socket: z.string().optional(),
    })
    .prefault({});

  /** The village screen (issue 15): a status page on the gateway's LAN. */
  const web = z
    .strictObject({
      enabled: z.boolean().default(false),
      host: z.string().default('0.0.0.0'),
      port: port.default(8080),
      /** Anyone on the LAN may look without a login; actions always need one. */
      public_view: z.boolean().default(true),
      tls: z.strictObject({ cert_file: z.string(), key_file: z.string() }).optional(),
    })
    .prefault({});

  return z.strictObject({
    gateway,
    storage: storage.prefault({}),
    uplink,
    commands,
    local_broker: localBroker,
    serial: z.array(serialPort).default([]),
    lora,
    nodes: z.array(node).min(1, 'at least one node is needed'),
    zones: z.array(zone).min(1, 'at least one zone is needed'),
    detection,
    sirens: z.array(siren).default([]),
    siren_policy: sirenPolicy,
    schedules,
    log,
    control,
    alerts: alertsSchema(),
    web,
    neighbours: neighboursSchema(),
  });
}

export type ConfigSchema = ReturnType<typeof buildConfigSchema>;
export type Config = z.output<ConfigSchema>;
export type ConfigInput = z.input<ConfigSchema>;
export type NodeConfig = Config['nodes'][number];
export type ZoneConfig = Config['zones'][number];
export type SirenConfig = Config['sirens'][number];
export type SirenPolicy = Config['siren_policy'];
export type DetectionConfig = Config['detection'];
export type UplinkConfig = NonNullable<Config['uplink']>;
export type LoraConfig = NonNullable<Config['lora']>;
export type LoraDeviceConfig = LoraConfig['devices'][number];
export type LocalBrokerConfig = Config['local_broker'];
export type BrokerUser = LocalBrokerConfig['users'][number];
export type CommandsConfig = Config['commands'];
export type SerialPortConfig = Config['serial'][number];
export type AlertsConfig = Config['alerts'];
export type WebConfig = Config['web'];
export type AlertContact = AlertsConfig['contacts'][number];
export type AlertPolicy = AlertsConfig['policies'][number];
export type AlertStep = AlertPolicy['steps'][number];
