import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Clock, EventSink } from '../domain/index.js';
import type { AlertStore, CapRow } from '../store/alerts.js';
import { idFactory } from '../util/ids.js';
import {
  type CapDocument,
  type CapRef,
  capAckDocument,
  capIncidentDocument,
  capRenewAt,
  capTestDocument,
} from './cap.js';
import { capFilePath, writeCapFile } from './cap-feed.js';
import type { Acknowledgement, Incident, IncidentPlace } from './types.js';

/**
 * The CAP side of the alerts: every incident change and acknowledgement becomes a document that
 * references all earlier ones of the incident, goes to the centre as a `cap` event (the uplink
 * publishes its XML on `siaga/v1/gw/<id>/cap`, QoS 1, from the outbox with the events) and to a
 * file in `alerts.cap.dir` for the Atom feed. Open incidents are renewed by an Update before
 * their document's `expires` lapses.
 */

export interface CapLogDeps {
  clock: Clock;
  log: Logger;
  events: EventSink;
  store: Pick<AlertStore, 'putCap'>;
  config: () => Config;
  place: (zone: string) => IncidentPlace;
  /** Documents already sent (from SQLite), oldest first. */
  history: readonly CapRow[];
}

/** `alerts.cap.sender`, or one made of the gateway id when the config names none. */
export function capSender(config: Config): string {
  return config.alerts.cap.sender ?? `${config.gateway.id}@siaga.local`;
}

export class CapLog {
  private readonly history = new Map<string, CapRow[]>();
  private readonly newId = idFactory();
  private sent = 0;
  private fileErrors = 0;
  private lastFile: string | undefined;
  private lastError: string | undefined;
  /** The CAP files being written, one after another (publish). */
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: CapLogDeps) {
    for (const row of deps.history) this.rows(row.incident).push(row);
  }

  private rows(incident: string): CapRow[] {
    let rows = this.history.get(incident);
    if (!rows) {
      rows = [];
      this.history.set(incident, rows);
    }
    return rows;
  }

  /** The references of every document sent for the incident, oldest first. */
  of(incident: string): CapRow[] {
    return [...(this.history.get(incident) ?? [])];
  }

  private ctx(incident: Incident) {
    const config = this.deps.config();
    const refs: CapRef[] = this.of(incident.id).map(({ sender, identifier, sent }) => ({
      sender,
      identifier,
      sent,
    }));
    return { incident, place: this.deps.place(incident.zone), history: refs, sender: capSender(config) };
  }

  /** Alert, Update or Cancel for the incident as it is now. */
  incident(incident: Incident): CapDocument {
    return this.send(capIncidentDocument({ ...this.ctx(incident), at: this.deps.clock.now() }), incident);
  }

  ack(incident: Incident, ack: Acknowledgement): CapDocument {
    return this.send(capAckDocument(this.ctx(incident), ack), incident);
  }

  /** An Update when the last level document of an open incident is about to lapse. */
  renewIfDue(incident: Incident): void {
    if (incident.state === 'closed') return;
    const last = this.of(incident.id)
      .filter((r) => r.msgType !== 'Ack')
      .at(-1);
    if (last && this.deps.clock.now() >= capRenewAt(last.level, last.sentAt)) this.incident(incident);
  }

  /** `siaga alerts test`: a complete document with status Test, never taken for a real alert. */
  test(contact: string): CapDocument {
    const config = this.deps.config();
    const zone = config.zones[0];
    const place = this.deps.place(zone?.id ?? '');
    const doc = capTestDocument({
      id: this.newId(this.deps.clock.now()),
      sender: capSender(config),
      at: this.deps.clock.now(),
      place,
      zone: zone?.id ?? '',
      zoneName: zone?.name ?? '',
      contact,
    });
    this.publish(doc);
    return doc;
  }

  private send(doc: CapDocument, incident: Incident): CapDocument {
    const row: CapRow = {
      identifier: doc.identifier,
      incident: incident.id,
      msgType: doc.msgType,
      sender: doc.sender,
      sent: doc.sent,
      sentAt: doc.sentAt,
      level: incident.state === 'closed' ? 'NORMAL' : incident.level,
    };
    this.rows(incident.id).push(row);
    this.deps.store.putCap(row);
    this.publish(doc);
    return doc;
  }

  /**
   * The `cap` event now, the file in the background. The event goes in the same group commit as
   * the document's row (`putCap`), so the centre gets every document a crash left recorded; the
   * file's fsyncs must not hold the event loop (writeCapFile). `file` names where it is written;
   * a write that fails is logged and counted in `status()`, and the centre still has the document.
   */
  private publish(doc: CapDocument): void {
    this.sent++;
    const dir = this.deps.config().alerts.cap.dir;
    this.deps.events.emit('cap', {
      incident: doc.incident,
      identifier: doc.identifier,
      msg_type: doc.msgType,
      status: doc.status,
      file: capFilePath(dir, doc),
      xml: doc.xml,
    });
    this.writing = this.writing.then(() =>
      writeCapFile(dir, doc).then(
        (file) => {
          this.lastFile = file;
          this.lastError = undefined;
        },
        (e: unknown) => {
          // The feed misses this one and status says so.
          this.fileErrors++;
          this.lastError = e instanceof Error ? e.message : String(e);
          this.deps.log.warn({ err: e, identifier: doc.identifier }, 'cannot write the CAP file');
        },
      ),
    );
  }

  /** Resolves once every CAP file asked for so far is written or has failed (never rejects). */
  flush(): Promise<void> {
    return this.writing;
  }

  status(): Record<string, unknown> {
    return {
      sent: this.sent,
      dir: this.deps.config().alerts.cap.dir,
      last_file: this.lastFile ?? null,
      file_errors: this.fileErrors,
      last_error: this.lastError ?? null,
    };
  }
}
