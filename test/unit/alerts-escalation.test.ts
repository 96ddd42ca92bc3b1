import { describe, expect, it } from 'vitest';
import { Escalation, supersede } from '../../src/alerts/escalation.js';
import { IncidentBook } from '../../src/alerts/incidents.js';
import type { Notification } from '../../src/alerts/types.js';
import { ManualClock } from '../../src/domain/index.js';
import { DEFAULT_ALERTS, levelChange, runScript, timeline } from '../helpers/alerts-rig.js';
import { must } from '../helpers/must.js';

const Z = 'z-braja';

/** A book and an escalation on the example's defaults, with an incident opened at `level` at 0:00. */
function opened(level: 'SIAGA' | 'AWAS') {
  const clock = new ManualClock(0);
  const book = new IncidentBook({ clock, newId: () => 'INC1', randomInt: () => 3821 });
  const esc = new Escalation(DEFAULT_ALERTS, clock);
  const first = esc.apply(must(book.onLevel(levelChange(Z, level, 'NORMAL', 0)), 'opened'));
  return { clock, book, esc, first };
}
const m = (min: number, s = 0) => min * 60 + s;

describe('escalation timelines (minute → who is told what)', () => {
  it('AWAS nobody acknowledges: the steps at 0, +5, +10 min, then once more around, then silence', () => {
    expect(timeline(runScript([[0, Z, 'AWAS']], 120))).toEqual([
      '00:00 alert AWAS: ranger-1, eru-1',
      '05:00 alert AWAS: kades, ranger-2',
      '10:00 alert AWAS: bpbd, park-office',
      '15:00 reminder AWAS: ranger-1, eru-1',
      '20:00 reminder AWAS: kades, ranger-2',
      '25:00 reminder AWAS: bpbd, park-office',
    ]);
  });

  it('WASPADA tells nobody; the first level a step wants sends at once; BPBD only at AWAS', () => {
    expect(
      timeline(
        runScript(
          [
            [0, Z, 'WASPADA'],
            [m(2, 10), Z, 'SIAGA'],
            [m(7), Z, 'AWAS'],
          ],
          40,
        ),
      ),
    ).toEqual([
      '02:10 alert SIAGA: ranger-1, eru-1',
      '05:00 alert SIAGA: kades, ranger-2',
      // AWAS at 07:00 waits group_wait_s (30 s) for what follows, then goes out as one message.
      '07:30 update AWAS: ranger-1, eru-1, kades, ranger-2',
      '10:00 alert AWAS: bpbd, park-office',
      '15:00 reminder AWAS: ranger-1, eru-1',
      '20:00 reminder AWAS: kades, ranger-2',
      '25:00 reminder AWAS: bpbd, park-office',
    ]);
  });

  it('a SIAGA incident never pages BPBD; an AWAS reached late pages it at once', () => {
    const siaga = timeline(runScript([[0, Z, 'SIAGA']], 60));
    expect(siaga.filter((l) => /bpbd|park-office/.test(l))).toEqual([]);
    const late = timeline(
      runScript(
        [
          [0, Z, 'SIAGA'],
          [m(31), Z, 'AWAS'],
        ],
        60,
      ),
    );
    expect(late.filter((l) => /bpbd|park-office/.test(l))).toEqual([
      '31:00 alert AWAS: bpbd, park-office',
      // Its own second round: repeat_min after it went out.
      '36:00 reminder AWAS: bpbd, park-office',
    ]);
  });

  it('level changes within group_wait_s go out as one message, with the level as it is then', () => {
    expect(
      timeline(
        runScript(
          [
            [0, Z, 'SIAGA'],
            [m(0, 10), Z, 'AWAS'],
            [m(0, 20), Z, 'SIAGA'],
            [m(1), Z, 'AWAS'],
            [m(1, 10), Z, 'SIAGA'],
            [m(1, 20), Z, 'AWAS'],
          ],
          4,
        ),
      ),
    ).toEqual([
      '00:00 alert SIAGA: ranger-1, eru-1',
      // 00:10 AWAS and 00:20 back to SIAGA: by 00:40 people already know SIAGA, nothing to send.
      '01:30 update AWAS: ranger-1, eru-1',
    ]);
  });

  it('an acknowledgement stops the escalation; still AWAS after reconfirm_min, those told hear again', () => {
    expect(
      timeline(
        runScript(
          [
            [0, Z, 'AWAS'],
            [m(6), Z, { ack: 'Darto' }],
            [m(40), Z, 'SIAGA'],
            [m(80), Z, 'AWAS'],
            [m(100), Z, 'NORMAL'],
          ],
          120,
        ),
      ),
    ).toEqual([
      '00:00 alert AWAS: ranger-1, eru-1',
      '05:00 alert AWAS: kades, ranger-2',
      // acknowledged at 06:00: no +10 step, no second round
      '36:00 reconfirm AWAS: ranger-1, eru-1, kades, ranger-2',
      // SIAGA from 40 to 80 min: no reconfirm at 66; AWAS again at 80 is past due, so at once
      '80:00 reconfirm AWAS: ranger-1, eru-1, kades, ranger-2',
      '100:00 all_clear NORMAL: ranger-1, eru-1, kades, ranger-2',
    ]);
  });

  it('acknowledged before anyone was told: a reconfirm still reaches the chain due at AWAS', () => {
    expect(
      timeline(
        runScript(
          [
            [0, Z, 'WASPADA'],
            [m(1), Z, { ack: 'tech' }],
            [m(2), Z, 'AWAS'],
          ],
          32,
        ),
      ),
    ).toEqual(['31:00 reconfirm AWAS: ranger-1, eru-1, kades, ranger-2, bpbd, park-office']);
  });

  it('the all-clear goes at once to everyone told, and to nobody for a WASPADA nobody heard of', () => {
    expect(
      timeline(
        runScript(
          [
            [0, Z, 'SIAGA'],
            [m(2), Z, 'AWAS'],
            [m(2, 10), Z, 'NORMAL'],
          ],
          30,
        ),
      ),
    ).toEqual([
      '00:00 alert SIAGA: ranger-1, eru-1',
      // the AWAS update still held in group wait is overtaken by the all-clear
      '02:10 all_clear NORMAL: ranger-1, eru-1',
    ]);
    expect(
      runScript(
        [
          [0, Z, 'WASPADA'],
          [m(3), Z, 'NORMAL'],
        ],
        30,
      ),
    ).toEqual([]);
  });

  it('the first policy naming the zone wins over "*"; a contact in two steps hears once per round', () => {
    const config = {
      ...DEFAULT_ALERTS,
      policies: [
        {
          zone: 'z-labuhan',
          repeat_min: 2,
          reconfirm_min: 30,
          steps: [
            { after_min: 0, notify: ['kades'], min_level: 'WASPADA' as const },
            { after_min: 1.5, notify: ['kades', 'role:ranger'], min_level: 'WASPADA' as const },
          ],
        },
        ...DEFAULT_ALERTS.policies,
      ],
    };
    expect(timeline(runScript([[0, 'z-labuhan', 'WASPADA']], 30, config))).toEqual([
      '00:00 alert WASPADA: kades',
      '01:30 alert WASPADA: ranger-1',
      '03:30 reminder WASPADA: kades',
      '05:00 reminder WASPADA: ranger-1',
    ]);
    // The other zone still follows "*": WASPADA tells nobody there.
    expect(runScript([[0, Z, 'WASPADA']], 30, config)).toEqual([]);
  });

  it('a zone no policy matches pages nobody', () => {
    expect(runScript([[0, Z, 'AWAS']], 60, { ...DEFAULT_ALERTS, policies: [] })).toEqual([]);
  });

  it('a restart mid-escalation resumes it: nothing twice, nothing lost', () => {
    const script = [
      [0, Z, 'SIAGA'],
      [m(7), Z, 'AWAS'],
    ] as const;
    const plain = runScript(script, 40);
    expect(runScript([...script, [m(7, 15), Z, 'restart'], [m(12), Z, 'restart']], 40)).toEqual(plain);
  });

  it('a gateway down for a while sends the steps it missed at once when it is back', () => {
    const { clock, esc, first } = opened('AWAS');
    expect(first.map((n) => n.contact)).toEqual(['ranger-1', 'eru-1']);
    expect(esc.nextDue()).toBe(5 * 60_000);
    const saved = JSON.stringify(esc.toJSON());
    clock.set(12 * 60_000);
    const back = Escalation.restore(JSON.parse(saved), DEFAULT_ALERTS, clock).tick();
    expect(timeline(back)).toEqual(['12:00 alert AWAS: kades, ranger-2, bpbd, park-office']);
    expect(back[0]).toEqual({
      incident: 'INC1',
      zone: Z,
      code: '4821',
      contact: 'kades',
      channel: 'sms',
      kind: 'alert',
      level: 'AWAS',
      at: 12 * 60_000,
      step: 1,
      round: 0,
    });
  });

  it('nextDue says when to tick next, and nothing once an acknowledged incident is below AWAS', () => {
    const clock = new ManualClock(0);
    const book = new IncidentBook({ clock, randomInt: () => 3821 });
    const esc = new Escalation(DEFAULT_ALERTS, clock);
    expect(esc.nextDue()).toBeUndefined();
    esc.apply(must(book.onLevel(levelChange(Z, 'SIAGA', 'NORMAL', 0)), 'opened'));
    expect(esc.nextDue()).toBe(5 * 60_000);
    clock.set(60_000);
    esc.apply(must(book.onLevel(levelChange(Z, 'AWAS', 'SIAGA', 0)), 'updated'));
    expect(esc.nextDue()).toBe(90_000);
    const ack = must(book.ack('4821', 'Darto', 'cli'), 'ack');
    if (!ack.ok) throw new Error(ack.reason);
    esc.apply(ack.value);
    expect(esc.nextDue()).toBe(31 * 60_000);
    esc.apply(must(book.onLevel(levelChange(Z, 'SIAGA', 'AWAS', 0)), 'updated'));
    expect(esc.nextDue()).toBeUndefined();
  });
});

describe('supersede: a higher level drops queued lower-level messages of the zone', () => {
  const n = (
    zone: string,
    contact: string,
    level: Notification['level'],
    kind: Notification['kind'] = 'alert',
  ) =>
    ({
      incident: `i-${zone}`,
      zone,
      code: '4821',
      contact,
      channel: 'sms',
      kind,
      level,
      at: 0,
    }) as Notification;

  it('keeps other zones and equal levels, drops lower ones, and an all-clear drops the rest of its incident', () => {
    const queue = [n('z-a', 'x', 'SIAGA'), n('z-a', 'y', 'AWAS'), n('z-b', 'x', 'SIAGA')];
    expect(supersede(queue, [n('z-a', 'z', 'AWAS')])).toEqual([
      n('z-a', 'y', 'AWAS'),
      n('z-b', 'x', 'SIAGA'),
      n('z-a', 'z', 'AWAS'),
    ]);
    expect(supersede(queue, [n('z-a', 'x', 'NORMAL', 'all_clear')])).toEqual([
      n('z-b', 'x', 'SIAGA'),
      n('z-a', 'x', 'NORMAL', 'all_clear'),
    ]);
  });
});

describe('a reloaded config', () => {
  it('applies from the next decision on; a contact removed is written to no more', () => {
    const { clock, book, esc } = opened('AWAS');
    esc.setConfig({ ...DEFAULT_ALERTS, contacts: DEFAULT_ALERTS.contacts.filter((c) => c.id !== 'eru-1') });
    clock.set(60_000);
    expect(timeline(esc.apply(must(book.onLevel(levelChange(Z, 'NORMAL', 'AWAS', 0)), 'closed')))).toEqual([
      '01:00 all_clear NORMAL: ranger-1',
    ]);
  });
});

describe('a message that could not be delivered', () => {
  it('brings the next step forward to now; after the last step or an acknowledgement, nothing more', () => {
    const { clock, esc, first } = opened('AWAS');
    clock.set(60_000);
    const failed = must(
      first.find((n) => n.contact === 'ranger-1'),
      'ranger-1 alerted',
    );
    expect(timeline(esc.failed(failed))).toEqual(['01:00 alert AWAS: kades, ranger-2']);
    // The same failure reported twice, or a second contact of that step failing, skips nothing more.
    expect(esc.failed(failed)).toEqual([]);
    expect(esc.failed({ ...failed, contact: 'eru-1' })).toEqual([]);
    clock.set(2 * 60_000);
    const kades = { ...failed, contact: 'kades', step: 1 };
    expect(timeline(esc.failed(kades))).toEqual(['02:00 alert AWAS: bpbd, park-office']);
    expect(esc.failed({ ...failed, contact: 'bpbd', step: 2 })).toEqual([]);
    // The second round keeps its pace from when each step really went out.
    clock.set(15 * 60_000);
    expect(timeline(esc.tick())).toEqual(['15:00 reminder AWAS: ranger-1, eru-1']);
    clock.set(20 * 60_000);
    expect(timeline(esc.tick())).toEqual(['20:00 reminder AWAS: kades, ranger-2']);
  });

  it('after an acknowledgement a failure pages nobody new', () => {
    const { clock, book, esc, first } = opened('AWAS');
    const ack = book.ack('4821', 'Darto', 'sms');
    if (!ack.ok) throw new Error(ack.reason);
    esc.apply(ack.value);
    expect(esc.failed(must(first[1], 'eru-1 alerted'))).toEqual([]);
    clock.set(29 * 60_000);
    expect(esc.tick()).toEqual([]);
  });
});
