import { z } from 'zod';
import type { ConfigIssue } from '../domain/index.js';
import { id } from './schema-id.js';

/** Where a neighbour lies as seen from us, for the reason text ("… 1.2 km west"). */
export const DIRECTIONS = [
  'north',
  'north-east',
  'east',
  'south-east',
  'south',
  'south-west',
  'west',
  'north-west',
] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** Built with the rest of the config schema and dropped with it (schema.ts, buildConfigSchema). */
function neighbourSchema() {
  /**
   * The neighbour's own local broker (no centre needed on a shared LAN): a `viewer` user of it.
   * `password_file` is read at start like every secret.
   */
  const neighbourBroker = z.strictObject({
    url: z
      .string()
      .regex(/^(mqtts?|tcp|ssl):\/\/[^\s]+$/, 'must be an mqtt:// or mqtts:// URL of the neighbour gateway'),
    username: z.string().min(1),
    password: z.string().optional(),
    password_file: z.string().optional(),
    /** CA of a neighbour broker with TLS (its self-signed certificate). */
    ca_file: z.string().optional(),
  });

  return z.strictObject({
    /** The neighbour's gateway id: its events arrive on siaga/v1/gw/<gateway>/events. */
    gateway: id,
    /** Their zone → our zone: their SIAGA/AWAS in the key pre-alerts the value. */
    zones: z.record(id, id).refine((m) => Object.keys(m).length > 0, {
      message: 'map at least one of their zones to one of ours',
    }),
    distance_m: z.number().positive().max(100_000),
    direction: z.enum(DIRECTIONS).optional(),
    /** Points a pre-alert adds; all neighbours together stay below the SIAGA threshold. */
    weight: z.number().min(0).max(1000).default(30),
    /** An event older than this (its ts against our clock) is ignored and counted. */
    max_age_s: z.number().int().min(10).max(86_400).default(600),
    broker: neighbourBroker.optional(),
  });
}

export function neighboursSchema() {
  return z.array(neighbourSchema()).default([]);
}
export type NeighbourConfig = z.output<ReturnType<typeof neighbourSchema>>;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

/** Cross-references of `neighbours`: our zones exist, each gateway once and not ourselves, a way to hear it. */
export function checkNeighbourRefs(config: unknown): ConfigIssue[] {
  const c = obj(config);
  const list = Array.isArray(c.neighbours) ? c.neighbours.map(obj) : [];
  const zones = new Set((Array.isArray(c.zones) ? c.zones : []).map((z) => obj(z).id));
  const self = obj(c.gateway).id;
  const issues: ConfigIssue[] = [];
  const seen = new Map<unknown, number>();
  list.forEach((n, i) => {
    const p = `neighbours[${i}]`;
    if (n.gateway === self) issues.push({ path: `${p}.gateway`, message: 'is this gateway itself' });
    const first = seen.get(n.gateway);
    if (first !== undefined)
      issues.push({
        path: `${p}.gateway`,
        message: `"${n.gateway}" is listed twice (also neighbours[${first}])`,
      });
    else seen.set(n.gateway, i);
    for (const [theirs, ours] of Object.entries(obj(n.zones))) {
      if (typeof ours === 'string' && !zones.has(ours))
        issues.push({ path: `${p}.zones.${theirs}`, message: `unknown zone "${ours}" (ours)` });
    }
    if (c.uplink === undefined && n.broker === undefined)
      issues.push({
        path: p,
        message: 'no way to hear it: configure uplink (through the centre) or broker (its local broker)',
      });
  });
  return issues;
}
