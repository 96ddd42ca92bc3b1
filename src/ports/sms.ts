/**
 * The one interface every SMS driver implements (drivers/sms/*): gammu-smsd's spool on the Pi, a
 * printer for the demo. The escalation engine owns who is told what and when; a driver only hands
 * a text to the modem's daemon and reports what became of it.
 *
 * Contracts:
 * - `send()` resolves with the message's id once the message is safely handed over (for gammu-smsd:
 *   the outbox file is complete under its final name). It rejects with an `SmsError` when it could
 *   not be handed over: the message then stays the caller's, to keep queued and retry. A driver
 *   never drops a message silently.
 * - `poll()` reports each message's fate once: delivered (the daemon sent it) or failed (the daemon
 *   gave up), and the messages people sent in, each once. It never rejects for a message's sake;
 *   a spool it cannot read rejects with an `SmsError`.
 * - `close()` releases what the driver holds; idempotent.
 */
export interface SmsGateway {
  send(message: SmsOutgoing): Promise<string>;
  poll(): Promise<SmsPoll>;
  close(): Promise<void>;
}

/** `urgent` goes out before everything else the daemon has queued (AWAS). */
export type SmsPriority = 'urgent' | 'normal';

export interface SmsOutgoing {
  /** E.164, `+62812…` */
  to: string;
  text: string;
  priority: SmsPriority;
}

export interface SmsFailure {
  id: string;
  reason: string;
}

export interface SmsIncoming {
  /** The driver's id of the received message (its file name for gammu-smsd). */
  id: string;
  /** The sender as the network gave it (`+62812…`, `62812…` or `0812…`): the caller normalises it. */
  from: string;
  text: string;
  /** epoch ms the message was received, as the daemon recorded it */
  at: number;
}

export interface SmsPoll {
  delivered: string[];
  failed: SmsFailure[];
  received: SmsIncoming[];
}
