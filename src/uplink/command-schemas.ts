import { z } from 'zod';
import type { CommandName } from './command-names.js';

/**
 * What a signed command and its arguments must look like (docs/wire.md §3). Loaded by the command
 * handler with the first command the centre sends (commands.ts), so zod is not loaded before.
 */

// As for the config schema (src/config/schema.ts): a command is parsed rarely, so zod's compiled
// fast path would cost more than it saves.
z.config({ jitless: true });

export const envelope = z.strictObject({
  id: z.string().min(1).max(128),
  ts: z.number().int().nonnegative(),
  nonce: z.string().min(8).max(128),
  key_id: z.string().min(1).max(64),
  cmd: z.string().min(1).max(64),
  args: z.record(z.string(), z.unknown()).optional(),
  sig: z.string().max(256),
});

const nodeId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/);
const time = z.union([
  z.number().int().nonnegative(),
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
]);
const none = z.strictObject({});

export const argSchemas = {
  status: none,
  nodes: none,
  'config.get': none,
  'readings.resend': z
    .strictObject({ from: time, to: time })
    .refine((a) => a.to >= a.from, { message: 'to must not be before from' }),
  'siren.test': z.strictObject({ siren: nodeId }),
  'siren.off': z.strictObject({ siren: nodeId }),
  'siren.silence': z.strictObject({ zone: nodeId, minutes: z.number().int().min(1).max(240) }),
  'siren.unsilence': z.strictObject({ zone: nodeId }),
  // A 4-digit code or an incident's ULID; `by` names the person at the centre who acknowledged.
  'alerts.ack': z.strictObject({
    code: z.string().regex(/^(\d{4}|[0-9A-HJKMNP-TV-Z]{26})$/),
    by: z.string().min(1).max(64).optional(),
  }),
} as const satisfies Record<CommandName, z.ZodType>;

/** The first problems, for the refusal's answer. */
export function zodSummary(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}
