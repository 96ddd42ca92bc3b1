import { z } from 'zod';
import { LEVELS } from '../domain/index.js';
import { id } from './schema-id.js';

/** An international number as the SMS modem dials it, no spaces: `+62` then the subscriber. */
/** Built with the rest of the config schema and dropped with it (schema.ts, buildConfigSchema). */
export function alertsSchema() {
  const e164 = z
    .string()
    .regex(/^\+[1-9]\d{7,14}$/, 'must be an E.164 phone number such as "+6281234567890" (no spaces)');
  /** Levels a person can be told about: a step at NORMAL would page people for nothing. */
  const alertLevel = z.enum(LEVELS.filter((l) => l !== 'NORMAL') as ['WASPADA', 'SIAGA', 'AWAS']);

  const alertContact = z.strictObject({
    id,
    name: z.string().min(1),
    phone: e164,
    lang: z.enum(['id', 'en']).default('id'),
    roles: z.array(id).default([]),
  });

  const alertStep = z.strictObject({
    /** Minutes after the incident opened; fractions allowed. */
    after_min: z.number().min(0).max(1440),
    /** Contact ids and `role:<role>`. */
    notify: z
      .array(z.string().regex(/^(role:)?[a-z0-9][a-z0-9-]{0,31}$/, 'must be a contact id or "role:<role>"'))
      .min(1),
    min_level: alertLevel.default('SIAGA'),
  });

  const alertPolicy = z.strictObject({
    /** A zone id, or `"*"` for any zone; the first policy that matches a zone is its policy. */
    zone: z.string().regex(/^(\*|[a-z0-9][a-z0-9-]{0,31})$/, 'must be a zone id or "*"'),
    repeat_min: z.number().positive().max(1440).default(5),
    reconfirm_min: z.number().positive().max(1440).default(30),
    steps: z.array(alertStep).min(1, 'a policy needs at least one step'),
  });

  /** Texts per message kind; a kind left out keeps the shipped text (README, Alerts for people). */
  const templateSet = z
    .strictObject({
      AWAS: z.string().min(1),
      SIAGA: z.string().min(1),
      WASPADA: z.string().min(1),
      clear: z.string().min(1),
      reminder: z.string().min(1),
      test: z.string().min(1),
    })
    .partial();

  /** `alerts`: who is told of an incident, how and when (README, Alerts for people). */

  return z
    .strictObject({
      enabled: z.boolean().default(false),
      group_wait_s: z.number().min(0).max(600).default(30),
      sms: z
        .strictObject({
          driver: z.enum(['gammu-smsd', 'print']).default('gammu-smsd'),
          spool: z.string().min(1).default('/var/spool/siaga-sms'),
          templates: z.strictObject({ id: templateSet, en: templateSet }).partial().optional(),
        })
        .prefault({}),
      contacts: z.array(alertContact).default([]),
      policies: z.array(alertPolicy).default([]),
      cap: z
        .strictObject({
          /** CAP `<sender>`; absent, the wiring derives one from gateway.id. */
          sender: z.string().min(1).optional(),
          dir: z.string().min(1).default('/var/lib/siaga/cap'),
        })
        .prefault({}),
      earthranger: z
        .strictObject({
          enabled: z.boolean().default(false),
          mode: z.enum(['er', 'gundi']).default('er'),
          url: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).optional(),
          token: z.string().min(1).optional(),
          token_file: z.string().optional(),
          event_type: z.string().min(1).default('elephant_alert'),
        })
        .prefault({}),
    })
    .prefault({});
}
