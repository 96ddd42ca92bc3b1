import { z } from 'zod';

/** The shape of every id in the config (nodes, zones, sirens, contacts…): short, lowercase, safe in topics. */
export const id = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,31}$/,
    'must be 1–32 characters of a-z, 0-9 and "-", starting with a letter or digit',
  );
