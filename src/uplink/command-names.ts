/** The commands a signed request may name (docs/wire.md §3); their arguments: command-schemas.ts. */
export const COMMAND_NAMES = [
  'status',
  'nodes',
  'config.get',
  'readings.resend',
  'siren.test',
  'siren.off',
  'siren.silence',
  'siren.unsilence',
  'alerts.ack',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];
