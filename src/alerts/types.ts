import type { Level, ReadingType } from '../domain/index.js';

/**
 * The shared vocabulary of alerts for people (issue 14): an incident is a zone's rise to WASPADA or
 * above, until its all-clear. The escalation engine, the SMS texts, the CAP documents and the
 * EarthRanger adapter all speak of incidents in these terms.
 */

export type IncidentState = 'open' | 'acked' | 'closed';

/** How an acknowledgement arrived. */
export type AckChannel = 'sms' | 'cli' | 'command' | 'button' | 'web';

export interface Acknowledgement {
  by: string;
  channel: AckChannel;
  /** epoch ms */
  at: number;
}

/** One piece of evidence behind an incident, as much as a person or the disaster agency needs. */
export interface IncidentEvidence {
  node: string;
  type: ReadingType;
}

export interface Incident {
  /** ULID, assigned when the incident opens. */
  id: string;
  zone: string;
  /** The zone's name as people know it (e.g. "Dsn Braja"). */
  zoneName: string;
  level: Level;
  /** The highest level reached so far. */
  peak: Level;
  /** The 4-digit code a person replies with (`OK 4821`). */
  code: string;
  state: IncidentState;
  /** epoch ms */
  opened: number;
  /** epoch ms of the last level change */
  updated: number;
  /** epoch ms of the all-clear */
  closed?: number;
  /** The reason in words, as the level event carries it. */
  reason: string;
  evidence: IncidentEvidence[];
  acks: Acknowledgement[];
}

/** Where the village and zone are: for CAP `<area>` and EarthRanger's location. */
export interface IncidentPlace {
  villageName: string;
  villageCode: string;
  /** The zone circle's centre, WGS84, when the config gives one. */
  center?: [number, number];
  radiusM: number;
  /** IANA zone of the site, for times people read (`Asia/Jakarta`). */
  tz: string;
}

export type AlertChannel = 'sms' | 'cap' | 'earthranger';
export type DeliveryState = 'queued' | 'sent' | 'failed';

/** Why a person is sent a message about an incident (the escalation's decisions). */
export type NotificationKind = 'alert' | 'update' | 'reminder' | 'reconfirm' | 'all_clear';

/** One message due to one contact: plain data, so the wiring can queue and persist it. */
export interface Notification {
  incident: string;
  zone: string;
  /** The incident's acknowledgement code, for the text (`Balas OK 4821`). */
  code: string;
  /** A contact id of `alerts.contacts`. */
  contact: string;
  channel: 'sms';
  kind: NotificationKind;
  /** The incident's level when this was decided; NORMAL for the all-clear. */
  level: Level;
  /** epoch ms when the escalation decided it (the tick or change that made it due) */
  at: number;
  /** Which policy step (0-based) and round (0, or 1 for the repeat) sent it, for alerts and reminders. */
  step?: number;
  round?: number;
}
