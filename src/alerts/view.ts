import type { AckChannel, AlertChannel, DeliveryState, IncidentState } from './types.js';

/**
 * An incident as people and programs read it: `siaga alerts --json`, the control socket, the
 * status page. Times are ISO 8601 (UTC); the shape is fixed by issue 14 (README, Alerts for people).
 */
export interface IncidentView {
  id: string;
  zone: string;
  zone_name: string;
  level: string;
  peak: string;
  code: string;
  state: IncidentState;
  opened: string;
  updated: string;
  closed?: string;
  reason: string;
  /** Which policy step went out last (0-based) and in which round, when any did. */
  step?: { step: number; round: number };
  notifications: {
    contact: string;
    channel: AlertChannel;
    state: DeliveryState;
    at: string;
    kind?: string;
  }[];
  acks: { by: string; channel: AckChannel; at: string }[];
}

/** What the alerts part offers the CLI, the centre's commands and the status page. */
export interface AlertServices {
  /** Open incidents and those closed in the last 24 h, newest first. */
  list(): { incidents: IncidentView[] };
  /**
   * Acknowledges by 4-digit code or incident id; rejects with a SiagaError whose message a person
   * can act on (unknown code, incident already over).
   */
  ack(codeOrId: string, by: string, channel: AckChannel): Promise<IncidentView>;
  /** Sends a test SMS (marked TES) and a CAP `status=Test` document for one contact. */
  test(contact: string): Promise<{ contact: string; sms: string; cap: string }>;
  /** Reads one received SMS file (gammu-smsd's RunOnReceive): what it did, in words. */
  inbox(file: string): Promise<{ result: string }>;
}
