import type { AlertsConfig } from '../config/schema.js';
import { type Clock, type Level, levelRank } from '../domain/index.js';
import type { IncidentChange } from './incidents.js';
import { policyFor, resolveNotify } from './policy.js';
import type { Incident, Notification, NotificationKind } from './types.js';

/**
 * Who is told what, and when, about each open incident (issue 14.2 and its fixed semantics).
 * Pure: the wiring feeds it the incident book's changes and calls `tick()` (at `nextDue()` or
 * every few seconds); both return the notifications due now. The state is plain data: `toJSON()`
 * after every call, `restore()` at start, and a restart mid-escalation carries on where it was.
 *
 * The rules, all counted from the incident's opening:
 * - a step goes out once its `after_min` has passed and the level is ≥ its `min_level`; the first
 *   such moment sends at once (`alert`, to the step's contacts not told before);
 * - `group_wait_s` holds back only *later* level changes of an incident people already know of:
 *   everyone told gets one `update` with the level as it is when the wait ends, so a SIAGA update
 *   overtaken by AWAS never goes out (a higher level supersedes a pending lower one);
 * - unacknowledged, the steps go round once more (`reminder`), the second round beginning
 *   `repeat_min` after the last step's time and never sooner than `repeat_min` after the same step
 *   went out in the first round: two rounds at most;
 * - an acknowledgement stops all of that. Still AWAS `reconfirm_min` after the last acknowledgement
 *   (or the last `reconfirm`), everyone told gets a `reconfirm` (nobody told yet: every step due
 *   at AWAS by then);
 * - the all-clear goes to everyone told, at once, acknowledged or not;
 * - a message that could not be delivered brings the next step forward to now (`failed`).
 */

export type EscalationConfig = Pick<AlertsConfig, 'group_wait_s' | 'contacts' | 'policies'>;

interface Told {
  contact: string;
  /** The level this contact last heard. */
  level: Level;
}

interface Fired {
  round: number;
  step: number;
  at: number;
}

/** One incident's escalation, as stored. Arrays rather than maps so order survives JSON. */
export interface EscalationTrack {
  incident: string;
  zone: string;
  code: string;
  opened: number;
  level: Level;
  acked: boolean;
  fired: Fired[];
  told: Told[];
  /** Steps brought forward because a message before them could not be delivered: step → since when. */
  hurried?: { step: number; at: number; after: number }[];
  /** The first level change people have not heard of yet (group wait). */
  heldSince?: number;
  ackedAt?: number;
  reconfirmedAt?: number;
}

export interface EscalationState {
  tracks: EscalationTrack[];
}

const MIN = 60_000;
const ROUNDS = 2;

export class Escalation {
  private tracks: EscalationTrack[] = [];

  constructor(
    private config: EscalationConfig,
    private readonly clock: Clock,
  ) {}

  static restore(state: EscalationState, config: EscalationConfig, clock: Clock): Escalation {
    const e = new Escalation(config, clock);
    e.tracks = structuredClone(state.tracks);
    return e;
  }

  toJSON(): EscalationState {
    return { tracks: structuredClone(this.tracks) };
  }

  /** A reloaded config applies from the next decision on; what was sent stays sent. */
  setConfig(config: EscalationConfig): void {
    this.config = config;
  }

  /** Takes one change of the incident book; returns every notification due now (of any incident). */
  apply(change: IncidentChange): Notification[] {
    const now = this.clock.now();
    const inc = change.incident;
    const out: Notification[] = [];
    let t = this.tracks.find((x) => x.incident === inc.id);
    if (t === undefined && change.kind !== 'closed') {
      // `updated` without `opened`: the book was restored without this state; start from the incident.
      t = newTrack(inc);
      this.tracks.push(t);
    }
    if (t !== undefined) {
      switch (change.kind) {
        case 'opened':
        case 'updated':
          if (t.level !== inc.level) {
            t.level = inc.level;
            if (!t.acked && t.told.some((x) => x.level !== inc.level)) t.heldSince ??= now;
          }
          break;
        case 'acked':
          t.acked = true;
          t.ackedAt = change.ack.at;
          delete t.reconfirmedAt;
          delete t.heldSince;
          break;
        case 'closed': {
          const track = t;
          for (const x of track.told)
            if (this.known(x.contact)) out.push(note(track, x.contact, 'all_clear', 'NORMAL', now));
          this.tracks = this.tracks.filter((x) => x !== track);
          break;
        }
      }
    }
    return [...out, ...this.tick()];
  }

  /** Every notification due now, in a fixed order: by incident, then step, then contact order. */
  tick(): Notification[] {
    const now = this.clock.now();
    return this.tracks.flatMap((t) => this.due(t, now));
  }

  /**
   * A message the SMS daemon could not deliver (its error folder): the incident's next step that
   * has not gone out is due at once rather than at its `after_min`, so a dead phone costs no
   * minutes; once per failing step. Nothing when every step has gone out or the incident is acknowledged or over: the
   * failed message itself stays with the wiring to retry. Returns the notifications due now.
   */
  failed(n: Notification): Notification[] {
    const t = this.tracks.find((x) => x.incident === n.incident);
    const policy = t && policyFor(this.config.policies, t.zone);
    const after = n.step ?? -1;
    // One step brought forward per failing step, however many of its messages fail or are reported.
    if (t !== undefined && policy !== undefined && !t.acked && !t.hurried?.some((h) => h.after === after)) {
      const next = policy.steps.findIndex((_, i) => i > after && !isFired(t, 0, i));
      if (next >= 0) t.hurried = [...(t.hurried ?? []), { step: next, at: this.clock.now(), after }];
    }
    return this.tick();
  }

  /** The earliest moment `tick()` may have something to send without a new change; undefined: nothing waits. */
  nextDue(): number | undefined {
    let next: number | undefined;
    const consider = (at: number | undefined) => {
      if (at !== undefined && (next === undefined || at < next)) next = at;
    };
    for (const t of this.tracks) {
      const policy = policyFor(this.config.policies, t.zone);
      if (policy === undefined) continue;
      if (t.acked) {
        if (t.level === 'AWAS') consider(reconfirmAt(t, policy.reconfirm_min));
        continue;
      }
      if (t.heldSince !== undefined) consider(t.heldSince + this.config.group_wait_s * 1000);
      for (let round = 0; round < ROUNDS; round++)
        policy.steps.forEach((step, i) => {
          if (!isFired(t, round, i) && levelRank(t.level) >= levelRank(step.min_level))
            consider(dueAt(t, policy, round, i));
        });
    }
    return next;
  }

  /** The escalation of one incident, for status (`siaga alerts`). */
  track(incident: string): EscalationTrack | undefined {
    const t = this.tracks.find((x) => x.incident === incident);
    return t && structuredClone(t);
  }

  /** A contact a reload removed is not written to any more (the wiring would have no number for it). */
  private known(contact: string): boolean {
    return this.config.contacts.some((c) => c.id === contact);
  }

  private due(t: EscalationTrack, now: number): Notification[] {
    const policy = policyFor(this.config.policies, t.zone);
    if (policy === undefined) return [];
    const out: Notification[] = [];
    const tell = (contact: string, kind: NotificationKind, step?: number, round?: number) => {
      if (!this.known(contact)) return;
      out.push(note(t, contact, kind, t.level, now, step, round));
      const known = t.told.find((x) => x.contact === contact);
      if (known) known.level = t.level;
      else t.told.push({ contact, level: t.level });
    };

    if (t.acked) {
      if (t.level === 'AWAS' && now >= reconfirmAt(t, policy.reconfirm_min)) {
        const reached = policy.steps
          .filter((s) => now >= t.opened + s.after_min * MIN && levelRank(s.min_level) <= levelRank('AWAS'))
          .flatMap((s) => resolveNotify(s.notify, this.config.contacts));
        // Those who knew hear it again; when nobody did (acknowledged before any message), the chain does.
        const everyone = t.told.length > 0 ? t.told.map((x) => x.contact) : [...new Set(reached)];
        for (const c of everyone) tell(c, 'reconfirm');
        t.reconfirmedAt = now;
      }
      return out;
    }

    for (let round = 0; round < ROUNDS; round++) {
      policy.steps.forEach((step, i) => {
        if (isFired(t, round, i)) return;
        const at = dueAt(t, policy, round, i);
        if (at === undefined || at > now || levelRank(t.level) < levelRank(step.min_level)) return;
        t.fired.push({ round, step: i, at: now });
        const contacts = resolveNotify(step.notify, this.config.contacts);
        // Each person hears once per round; a later change reaches them as an update instead.
        const already =
          round === 0
            ? new Set(t.told.map((x) => x.contact))
            : new Set(
                t.fired
                  .filter((f) => f.round === round && f.step < i)
                  .flatMap((f) => resolveNotify(policy.steps[f.step]?.notify ?? [], this.config.contacts)),
              );
        for (const c of contacts) if (!already.has(c)) tell(c, round === 0 ? 'alert' : 'reminder', i, round);
      });
    }

    if (t.heldSince !== undefined && now >= t.heldSince + this.config.group_wait_s * 1000) {
      for (const x of [...t.told]) if (x.level !== t.level) tell(x.contact, 'update');
      delete t.heldSince;
    }
    return out;
  }
}

function newTrack(inc: Incident): EscalationTrack {
  return {
    incident: inc.id,
    zone: inc.zone,
    code: inc.code,
    opened: inc.opened,
    level: inc.level,
    acked: inc.state === 'acked',
    fired: [],
    told: [],
  };
}

function isFired(t: EscalationTrack, round: number, step: number): boolean {
  return t.fired.some((f) => f.round === round && f.step === step);
}

/** When a step of a round may go out; undefined until the first round's step has. */
function dueAt(
  t: EscalationTrack,
  policy: { repeat_min: number; steps: { after_min: number }[] },
  round: number,
  i: number,
): number | undefined {
  const after = policy.steps[i]?.after_min ?? 0;
  if (round === 0) {
    const hurried = t.hurried?.find((h) => h.step === i);
    return Math.min(t.opened + after * MIN, hurried?.at ?? Number.POSITIVE_INFINITY);
  }
  const first = t.fired.find((f) => f.round === round - 1 && f.step === i);
  if (first === undefined) return undefined;
  const lastAfter = policy.steps.at(-1)?.after_min ?? 0;
  const roundStart = t.opened + round * (lastAfter + policy.repeat_min) * MIN;
  return Math.max(roundStart + after * MIN, first.at + policy.repeat_min * MIN);
}

function reconfirmAt(t: EscalationTrack, reconfirmMin: number): number {
  return (t.reconfirmedAt ?? t.ackedAt ?? t.opened) + reconfirmMin * MIN;
}

function note(
  t: EscalationTrack,
  contact: string,
  kind: NotificationKind,
  level: Level,
  at: number,
  step?: number,
  round?: number,
): Notification {
  const n: Notification = {
    incident: t.incident,
    zone: t.zone,
    code: t.code,
    contact,
    channel: 'sms',
    kind,
    level,
    at,
  };
  if (step !== undefined) n.step = step;
  if (round !== undefined) n.round = round;
  return n;
}

/**
 * A queue of notifications not yet handed to the SMS daemon, after `fresh` ones were decided:
 * queued messages of the same zone at a lower level are dropped (their people hear the higher
 * level from the fresh ones or the update that follows), and an all-clear drops everything else
 * queued for that incident.
 */
export function supersede(queue: readonly Notification[], fresh: readonly Notification[]): Notification[] {
  const top = new Map<string, number>();
  const cleared = new Set<string>();
  for (const n of fresh) {
    if (n.kind === 'all_clear') cleared.add(n.incident);
    else top.set(n.zone, Math.max(top.get(n.zone) ?? -1, levelRank(n.level)));
  }
  const kept = queue.filter(
    (q) =>
      !cleared.has(q.incident) && (q.kind === 'all_clear' || levelRank(q.level) >= (top.get(q.zone) ?? -1)),
  );
  return [...kept, ...fresh];
}
