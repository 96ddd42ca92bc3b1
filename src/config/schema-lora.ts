import { z } from 'zod';
import { id } from './schema-id.js';

/**
 * The `lora` section: the GWMP listener, the LoRaWAN devices and the regional parameters.
 * Built with the rest of the config schema and dropped with it (schema.ts, buildConfigSchema).
 */
export function loraSchema(port: z.ZodNumber) {
  const hex32 = z.string().regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hex digits (a 128-bit key)');
  const hex16 = z
    .string()
    .regex(/^[0-9a-fA-F]{16}$/, 'must be 16 hex digits (a 64-bit EUI)')
    .transform((s) => s.toLowerCase());

  /**
   * One LoRaWAN device. ABP: `dev_addr` with both session keys. OTAA: `dev_eui`, `join_eui` and the
   * root key `app_key` (best as `app_key_file`), no `dev_addr`: the gateway's join server gives it
   * one and derives the session keys at each join (src/lora/join.ts). refs.ts checks the pairing.
   */
  const loraDevice = z.strictObject({
    node: id,
    dev_addr: z
      .string()
      .regex(/^[0-9a-fA-F]{8}$/, 'must be 8 hex digits')
      .optional(),
    nwk_s_key: hex32.optional(),
    nwk_s_key_file: z.string().optional(),
    app_s_key: hex32.optional(),
    app_s_key_file: z.string().optional(),
    dev_eui: hex16.optional(),
    join_eui: hex16.optional(),
    app_key: hex32.optional(),
    app_key_file: z.string().optional(),
    codec: z.enum(['lpp', 'sg1']).default('lpp'),
  });

  const lora = z
    .strictObject({
      gwmp: z
        .strictObject({
          host: z.string().default('127.0.0.1'),
          port: port.default(1700),
          max_datagram_bytes: z.number().int().min(512).max(65_535).default(65_535),
        })
        .prefault({}),
      dedup_s: z.number().int().min(0).max(600).default(10),
      /** Packet forwarder EUIs (gateway_ID) served; absent, the first 4 heard are (drivers/gwmp/admission.ts). */
      gateways: z
        .array(
          z
            .string()
            .regex(/^[0-9a-fA-F]{16}$/, 'must be 16 hex digits (gateway_ID in global_conf.json)')
            .transform((s) => s.toLowerCase()),
        )
        .min(1)
        .max(32)
        .optional(),
      devices: z.array(loraDevice).default([]),
      /** Regional parameters of every downlink (src/lora/region.ts): Indonesia is AS923-2. */
      region: z.enum(['AS923-2', 'EU868', 'US915']).default('AS923-2'),
      /** NetID sent in JoinAccepts; 000000 is the one set aside for private networks. */
      net_id: z
        .string()
        .regex(/^[0-9a-fA-F]{6}$/, 'must be 6 hex digits')
        .default('000000'),
      /** Share of each hour the gateway may transmit (per forwarder), in percent. Default: the region's. */
      duty_cycle_pct: z.number().gt(0).max(100).optional(),
    })
    .optional();

  return lora;
}
