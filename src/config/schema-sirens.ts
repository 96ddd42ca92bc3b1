import { z } from 'zod';
import { LEVELS } from '../domain/index.js';
import { id } from './schema-id.js';

/**
 * The `sirens` list (one entry per driver) and the `siren_policy` that paces them.
 * Built with the rest of the config schema and dropped with it (schema.ts, buildConfigSchema).
 */
export function sirensSchema() {
  const sirenBase = { id };
  const siren = z.discriminatedUnion('driver', [
    z.strictObject({
      ...sirenBase,
      driver: z.literal('relay'),
      port: z.string().min(1),
      baud: z.number().int().positive().default(9600),
      channel: z.number().int().min(1).max(8).default(1),
    }),
    z.strictObject({
      ...sirenBase,
      driver: z.literal('gpio'),
      chip: z.string().default('gpiochip0'),
      line: z.number().int().min(0),
      active_low: z.boolean().default(false),
    }),
    z.strictObject({
      ...sirenBase,
      driver: z.literal('mqtt'),
      state_timeout_ms: z.number().int().min(10).default(2000),
    }),
    z.strictObject({
      ...sirenBase,
      driver: z.literal('command'),
      command: z.string().min(1),
      args: z.array(z.string()).default([]),
      timeout_ms: z.number().int().min(10).default(5000),
    }),
    z.strictObject({ ...sirenBase, driver: z.literal('print') }),
    z.strictObject({
      ...sirenBase,
      driver: z.literal('lora'),
      /** The node of its entry in `lora.devices`; the siren node must be a Class C device. */
      node: id,
      fport: z.number().int().min(1).max(223).default(10),
      on_payload: z
        .string()
        .regex(/^([0-9a-fA-F]{2}){1,32}$/, 'must be hex bytes such as "01"')
        .default('01'),
      off_payload: z
        .string()
        .regex(/^([0-9a-fA-F]{2}){1,32}$/, 'must be hex bytes such as "00"')
        .default('00'),
      /** Ask the node to acknowledge each command; without an ACK it is sent again, then a fault. */
      confirmed: z.boolean().default(true),
      /**
       * (retries + 1) × ack_timeout_s is how long a command to a silent node takes to fault, and
       * how long its OFF holds up a SIGTERM: keep it well inside systemd's TimeoutStopSec (15 s).
       */
      ack_timeout_s: z.number().min(1).max(60).default(3),
      /** Sends again after a missing ACK (or a forwarder that refused) before the siren is faulted. */
      retries: z.number().int().min(0).max(3).default(2),
    }),
  ]);

  const sirenPolicy = z
    .strictObject({
      sound_at: z
        .enum(LEVELS.filter((l) => l === 'SIAGA' || l === 'AWAS') as ['SIAGA', 'AWAS'])
        .default('AWAS'),
      on_s: z.number().positive().default(20),
      off_s: z.number().min(0).default(10),
      max_activation_s: z.number().positive().default(180),
      max_on_s_per_hour: z.number().positive().default(600),
      self_test_s: z.number().positive().max(60).default(2),
      max_silence_min: z.number().int().min(1).max(240).default(240),
    })
    .prefault({});

  return { siren, sirenPolicy };
}
