import { Escalation, type EscalationConfig } from '../../src/alerts/escalation.js';
import { IncidentBook } from '../../src/alerts/incidents.js';
import type { Notification } from '../../src/alerts/types.js';
import type { AlertContact } from '../../src/config/schema.js';
import type { LevelChange } from '../../src/detect/types.js';
import { type Level, ManualClock } from '../../src/domain/index.js';

/** The example config's people and its default policy (config/siaga.example.yaml). */
export const CONTACTS: AlertContact[] = [
  { id: 'ranger-1', name: 'Darto', phone: '+6281234567890', lang: 'id', roles: ['ranger'] },
  { id: 'eru-1', name: 'Komandan ERU', phone: '+6281234500001', lang: 'id', roles: ['eru'] },
  { id: 'ranger-2', name: 'Slamet', phone: '+6281234500002', lang: 'id', roles: ['ranger-2'] },
  { id: 'kades', name: 'Kepala Desa', phone: '+6281298765432', lang: 'id', roles: ['village'] },
  { id: 'bpbd', name: 'BPBD', phone: '+6281234500003', lang: 'id', roles: ['bpbd'] },
  { id: 'park-office', name: 'Balai TNWK', phone: '+6281234500004', lang: 'en', roles: ['park'] },
];

export const DEFAULT_ALERTS: EscalationConfig = {
  group_wait_s: 30,
  contacts: CONTACTS,
  policies: [
    {
      zone: '*',
      repeat_min: 5,
      reconfirm_min: 30,
      steps: [
        { after_min: 0, notify: ['role:ranger', 'role:eru'], min_level: 'SIAGA' },
        { after_min: 5, notify: ['kades', 'role:ranger-2'], min_level: 'SIAGA' },
        { after_min: 10, notify: ['role:bpbd', 'role:park'], min_level: 'AWAS' },
      ],
    },
  ],
};

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

/** `mm:ss contact kind LEVEL` per notification: a timeline table a reader can check by eye. */
export const timeline = (ns: readonly Notification[]) =>
  ns.map((n) => `${clockText(n.at)} ${n.contact} ${n.kind} ${n.level}`);
