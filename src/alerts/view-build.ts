import type { CapRow, MessageRow } from '../store/alerts.js';
import type { EscalationTrack } from './escalation.js';
import type { AlertChannel, Incident } from './types.js';
import type { IncidentView } from './view.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** The incident as `siaga alerts --json` prints it (README, Alerts for people). */
export function incidentView(
  i: Incident,
  messages: readonly MessageRow[],
  caps: readonly CapRow[],
  track: EscalationTrack | undefined,
): IncidentView {
  const last = track?.fired.at(-1);
  const notifications: IncidentView['notifications'] = [
    ...messages.map((m) => ({
      contact: m.contact,
      channel: m.channel,
      state: m.state === 'superseded' ? ('failed' as const) : m.state,
      at: iso(m.at),
      kind: m.kind,
    })),
    ...caps.map((c) => ({
      contact: c.sender,
      channel: 'cap' as AlertChannel,
      state: 'sent' as const,
      at: iso(c.sentAt),
      kind: c.msgType,
    })),
  ];
  const view: IncidentView = {
    id: i.id,
    zone: i.zone,
    zone_name: i.zoneName,
    level: i.level,
    peak: i.peak,
    code: i.code,
    state: i.state,
    opened: iso(i.opened),
    updated: iso(i.updated),
    reason: i.reason,
    notifications,
    acks: i.acks.map((a) => ({ by: a.by, channel: a.channel, at: iso(a.at) })),
  };
  if (i.closed !== undefined) view.closed = iso(i.closed);
  if (last) view.step = { step: last.step, round: last.round };
  return view;
}
