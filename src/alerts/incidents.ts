import { randomInt } from 'node:crypto';
import type { LevelChange } from '../detect/types.js';
import {
  type Clock,
  InvariantError,
  levelRank,
  type Parsed,
  type ReadingType,
  reject,
} from '../domain/index.js';
import { idFactory } from '../util/ids.js';
import type { AckChannel, Acknowledgement, Incident, IncidentEvidence } from './types.js';

/**
 * Incidents from the engine's level changes (issue 14.1): a zone's rise to WASPADA or above opens
 * one, later changes update it, the all-clear closes it. Pure: time comes from the injected clock,
 * ids and codes from injected factories, and the whole book is plain data (`toJSON`/`restore`) so
 * the wiring can keep it in SQLite and carry on after a restart.
 */

/** What a level change or an acknowledgement did to an incident. */
export type IncidentChange =
  | { kind: 'opened' | 'updated' | 'closed'; incident: Incident }
  | { kind: 'acked'; incident: Incident; ack: Acknowledgement };

export interface IncidentBookState {
  incidents: Incident[];
}

export interface IncidentBookOptions {
  clock: Clock;
  /** The zone's name as people know it; the zone id when the config has none. */
  zoneName?: (zone: string) => string | undefined;
  /** The reading type of a node, for the evidence list (CAP certainty counts kinds). */
  nodeType?: (node: string) => ReadingType | undefined;
  /** ULID for a new incident; default: the gateway's monotonic ULIDs. */
  newId?: (ts: number) => string;
  /** A whole number in [0, n): codes are drawn from it. Default: crypto. */
  randomInt?: (n: number) => number;
  /**
   * A closed incident keeps its code this long, so a late `OK 4821` is told "already over" rather
   * than acknowledging a new incident that drew the same code. Default 24 h.
   */
  keepClosedMs?: number;
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * Codes a person can type and a stranger cannot guess by habit: 1000–9999 (a leading 0 is lost by
 * phones that treat the reply as a number), never one digit four times (1111) and never a run up or
 * down (1234, 4321), which are what someone types to try their luck.
 */
export function isGoodCode(code: string): boolean {
  if (!/^[1-9]\d{3}$/.test(code)) return false;
  const d = [...code].map(Number);
  const steps = d.slice(1).map((x, i) => x - (d[i] ?? 0));
  return !steps.every((s) => s === 0) && !steps.every((s) => s === 1) && !steps.every((s) => s === -1);
}

export class IncidentBook {
  private readonly incidents = new Map<string, Incident>();
  private readonly newId: (ts: number) => string;
  private readonly randomInt: (n: number) => number;
  private readonly keepClosedMs: number;

  constructor(private readonly opts: IncidentBookOptions) {
    this.newId = opts.newId ?? idFactory();
    this.randomInt = opts.randomInt ?? ((n) => randomInt(n));
    this.keepClosedMs = opts.keepClosedMs ?? DAY_MS;
  }

  /** The book as plain data (open incidents and recently closed ones), oldest first. */
  toJSON(): IncidentBookState {
    return { incidents: structuredClone([...this.incidents.values()]) };
  }

  static restore(state: IncidentBookState, opts: IncidentBookOptions): IncidentBook {
    const book = new IncidentBook(opts);
    for (const i of structuredClone(state.incidents)) book.incidents.set(i.id, i);
    return book;
  }

  /** Open (including acknowledged) incidents, oldest first. */
  open(): Incident[] {
    return [...this.incidents.values()].filter((i) => i.state !== 'closed').map((i) => structuredClone(i));
  }

  get(id: string): Incident | undefined {
    const i = this.incidents.get(id);
    return i && structuredClone(i);
  }

  /** The zone's open incident, if any. */
  openIn(zone: string): Incident | undefined {
    const i = this.findOpen(zone);
    return i && structuredClone(i);
  }

  /** Applies one level change; undefined when it concerns no incident (a change below WASPADA with none open). */
  onLevel(change: LevelChange): IncidentChange | undefined {
    this.forgetOld();
    const now = this.opts.clock.now();
    const current = this.findOpen(change.zone);
    if (current === undefined) {
      if (change.allClear || levelRank(change.level) < levelRank('WASPADA')) return undefined;
      const incident: Incident = {
        id: this.newId(now),
        zone: change.zone,
        zoneName: this.opts.zoneName?.(change.zone) ?? change.zone,
        level: change.level,
        peak: change.level,
        code: this.drawCode(),
        state: 'open',
        opened: now,
        updated: now,
        reason: change.reason,
        evidence: [],
        acks: [],
      };
      this.addEvidence(incident, change.nodes);
      this.incidents.set(incident.id, incident);
      return { kind: 'opened', incident: structuredClone(incident) };
    }
    current.level = change.level;
    current.updated = now;
    current.reason = change.reason;
    this.addEvidence(current, change.nodes);
    if (levelRank(change.level) > levelRank(current.peak)) current.peak = change.level;
    // Only the engine's all-clear ends an incident: stepping down through WASPADA is still danger.
    if (change.allClear || change.level === 'NORMAL') {
      current.state = 'closed';
      current.closed = now;
      return { kind: 'closed', incident: structuredClone(current) };
    }
    return { kind: 'updated', incident: structuredClone(current) };
  }

  /**
   * Records an acknowledgement given by the 4-digit code or the incident's id. Several people may
   * acknowledge; each is kept. A code of no incident, or of one that is over, is refused with
   * words the person can act on.
   */
  ack(codeOrId: string, by: string, channel: AckChannel): Parsed<IncidentChange> {
    this.forgetOld();
    const key = codeOrId.trim();
    const found =
      this.incidents.get(key.toUpperCase()) ??
      [...this.incidents.values()].find((i) => i.code === key && i.state !== 'closed') ??
      [...this.incidents.values()].find((i) => i.code === key);
    if (found === undefined) return reject('unknown_incident', `no incident has code or id "${key}"`);
    if (found.state === 'closed')
      return reject('closed', `incident ${found.code} in ${found.zoneName} is already over (all clear)`);
    const ack: Acknowledgement = { by, channel, at: this.opts.clock.now() };
    found.acks.push(ack);
    found.state = 'acked';
    return { ok: true, value: { kind: 'acked', incident: structuredClone(found), ack } };
  }

  private findOpen(zone: string): Incident | undefined {
    for (const i of this.incidents.values()) if (i.zone === zone && i.state !== 'closed') return i;
    return undefined;
  }

  private addEvidence(incident: Incident, nodes: string[]): void {
    for (const node of nodes) {
      if (incident.evidence.some((e) => e.node === node)) continue;
      const type = this.opts.nodeType?.(node);
      if (type !== undefined) incident.evidence.push({ node, type } satisfies IncidentEvidence);
    }
  }

  /** A code not held by any incident still in the book; there are 8,979 good ones. */
  private drawCode(): string {
    const taken = new Set([...this.incidents.values()].map((i) => i.code));
    const start = this.randomInt(9000);
    // Walking on from a random start ends even with a poor random source or a nearly full book.
    for (let k = 0; k < 9000; k++) {
      const code = String(1000 + ((start + k * 7919) % 9000));
      if (isGoodCode(code) && !taken.has(code)) return code;
    }
    throw new InvariantError('every acknowledgement code is taken by an incident in the book');
  }

  private forgetOld(): void {
    const now = this.opts.clock.now();
    for (const [id, i] of this.incidents)
      if (i.state === 'closed' && (i.closed ?? 0) + this.keepClosedMs <= now) this.incidents.delete(id);
  }
}
