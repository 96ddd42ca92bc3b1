import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Escalation, type EscalationConfig } from '../../src/alerts/escalation.js';
import { IncidentBook } from '../../src/alerts/incidents.js';
import type { Notification } from '../../src/alerts/types.js';
import { type AlertContact, buildConfigSchema } from '../../src/config/schema.js';
import type { LevelChange } from '../../src/detect/types.js';
import { type Level, ManualClock } from '../../src/domain/index.js';

const configSchema = buildConfigSchema();

/** The shipped defaults: config/siaga.example.yaml's alerts section, as the schema reads it. */
export const DEFAULT_ALERTS: EscalationConfig = configSchema.shape.alerts.parse(
  (
    parse(readFileSync(new URL('../../config/siaga.example.yaml', import.meta.url), 'utf8')) as {
      alerts: unknown;
    }
  ).alerts,
);
export const CONTACTS: AlertContact[] = DEFAULT_ALERTS.contacts;

export type Action = Level | { ack: string } | 'restart';

/** What happened while a script ran, with how many notifications had been decided before it. */
export type RigEvent =
  | { type: 'level'; zone: string; level: Level; at: number; before: number }
  | { type: 'ack'; zone: string; incident: string; at: number; before: number };

export function levelChange(zone: string, level: Level, prev: Level, ts: number): LevelChange {
  return {
    zone,
    level,
    prev,
    score: 0,
    nodes: ['cam-02', 'pir-07'],
    reason: 'test',
    ts,
    allClear: level === 'NORMAL',
    manual: false,
  };
}

/** mm:ss from the start, the way the timeline tables read. */
export const clockText = (ms: number) =>
  `${String(Math.floor(ms / 60_000)).padStart(2, '0')}:${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}`;

/**
 * Drives a book and an escalation through a script of `[seconds, zone, action]`, ticking every
 * `tickS` seconds until `untilMin`; returns every notification decided, in order. `restart`
 * replaces both by what their JSON (through a string, as SQLite would keep it) restores.
 */
export function runScript(
  script: readonly (readonly [number, string, Action])[],
  untilMin: number,
  config: EscalationConfig = DEFAULT_ALERTS,
  tickS = 5,
  log: RigEvent[] = [],
): Notification[] {
  const clock = new ManualClock(0);
  let seq = 0;
  const bookOpts = {
    clock,
    newId: () => `INC${String(++seq).padStart(3, '0')}`,
    randomInt: (n: number) => (seq * 1237) % n,
    nodeType: (node: string) => (node.startsWith('cam') ? ('cam' as const) : ('pir' as const)),
  };
  let book = new IncidentBook(bookOpts);
  let esc = new Escalation(config, clock);
  const levels = new Map<string, Level>();
  const out: Notification[] = [];
  const pending = [...script].sort((a, b) => a[0] - b[0]);
  for (let t = 0; t <= untilMin * 60_000; t += tickS * 1000) {
    clock.set(t);
    while (pending.length > 0 && (pending[0]?.[0] ?? 0) * 1000 <= t) {
      const [, zone, action] = pending.shift() as [number, string, Action];
      if (action === 'restart') {
        book = IncidentBook.restore(JSON.parse(JSON.stringify(book.toJSON())), bookOpts);
        esc = Escalation.restore(JSON.parse(JSON.stringify(esc.toJSON())), config, clock);
      } else if (typeof action === 'string') {
        const change = book.onLevel(levelChange(zone, action, levels.get(zone) ?? 'NORMAL', t));
        levels.set(zone, action);
        log.push({ type: 'level', zone, level: action, at: t, before: out.length });
        if (change) out.push(...esc.apply(change));
      } else {
        const open = book.openIn(zone);
        const r = open && book.ack(open.code, action.ack, 'sms');
        if (r?.ok) {
          log.push({ type: 'ack', zone, incident: r.value.incident.id, at: t, before: out.length });
          out.push(...esc.apply(r.value));
        }
      }
    }
    out.push(...esc.tick());
  }
  return out;
}

/**
 * `mm:ss kind LEVEL: contact, contact` per moment: a timeline table a reader checks by eye. The
 * contacts of one moment keep the order they were decided in.
 */
export function timeline(ns: readonly Notification[]): string[] {
  const rows: string[] = [];
  let head = '';
  for (const n of ns) {
    const h = `${clockText(n.at)} ${n.kind} ${n.level}`;
    if (h === head) rows[rows.length - 1] += `, ${n.contact}`;
    else rows.push(`${h}: ${n.contact}`);
    head = h;
  }
  return rows;
}
