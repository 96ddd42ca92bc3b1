import { describe, expect, it } from 'vitest';
import { IncidentBook, isGoodCode } from '../../src/alerts/incidents.js';
import { ManualClock } from '../../src/domain/index.js';
import { levelChange } from '../helpers/alerts-rig.js';
import { must } from '../helpers/must.js';

function book(randomInt: (n: number) => number = () => 3821) {
  const clock = new ManualClock(1_000_000);
  let n = 0;
  const b = new IncidentBook({
    clock,
    randomInt,
    newId: () => `01INC${++n}`,
    zoneName: (z) => (z === 'z-braja' ? 'Dsn Braja' : undefined),
    nodeType: (node) => (node.startsWith('cam') ? 'cam' : node.startsWith('pir') ? 'pir' : undefined),
  });
  return { b, clock };
}

describe('incidents from level changes', () => {
  it('a rise to WASPADA opens one, later changes update it, the all-clear closes it', () => {
    const { b, clock } = book();
    expect(b.onLevel(levelChange('z-braja', 'NORMAL', 'NORMAL', 0))).toBeUndefined();
    const opened = must(b.onLevel(levelChange('z-braja', 'WASPADA', 'NORMAL', 0)), 'opened');
    expect(opened.kind).toBe('opened');
    expect(opened.incident).toMatchObject({
      id: '01INC1',
      zone: 'z-braja',
      zoneName: 'Dsn Braja',
      level: 'WASPADA',
      peak: 'WASPADA',
      code: '4821',
      state: 'open',
      opened: 1_000_000,
      evidence: [
        { node: 'cam-02', type: 'cam' },
        { node: 'pir-07', type: 'pir' },
      ],
    });
    clock.advance(60_000);
    expect(b.onLevel(levelChange('z-braja', 'AWAS', 'WASPADA', 0))?.incident).toMatchObject({
      level: 'AWAS',
      peak: 'AWAS',
      updated: 1_060_000,
    });
    // Stepping down is still the same incident, and its peak stays.
    expect(b.onLevel(levelChange('z-braja', 'WASPADA', 'AWAS', 0))).toMatchObject({
      kind: 'updated',
      incident: { id: '01INC1', level: 'WASPADA', peak: 'AWAS' },
    });
    clock.advance(60_000);
    expect(b.onLevel(levelChange('z-braja', 'NORMAL', 'WASPADA', 0))).toMatchObject({
      kind: 'closed',
      incident: { id: '01INC1', state: 'closed', closed: 1_120_000 },
    });
    expect(b.open()).toEqual([]);
    // The next rise is a new incident.
    expect(b.onLevel(levelChange('z-braja', 'SIAGA', 'NORMAL', 0))?.incident.id).toBe('01INC2');
  });

  it('zones have their own incidents; a zone without a name shows its id', () => {
    const { b } = book((n) => (n * 7) % n);
    b.onLevel(levelChange('z-braja', 'SIAGA', 'NORMAL', 0));
    b.onLevel(levelChange('z-labuhan', 'AWAS', 'NORMAL', 0));
    expect(b.open().map((i) => [i.zone, i.zoneName, i.level])).toEqual([
      ['z-braja', 'Dsn Braja', 'SIAGA'],
      ['z-labuhan', 'z-labuhan', 'AWAS'],
    ]);
  });

  it('codes are 4 digits, not guessable by habit, and unique among incidents still in the book', () => {
    expect(['4821', '1000', '9998', '1123'].filter(isGoodCode)).toEqual(['4821', '1000', '9998', '1123']);
    expect(
      ['0482', '1111', '1234', '6789', '4321', '9876', '482', '48210', 'ab12'].filter(isGoodCode),
    ).toEqual([]);
    // A random source stuck on one value still gives every zone its own code.
    const { b } = book(() => 0);
    const codes = Array.from({ length: 60 }, (_, i) => {
      const c = must(b.onLevel(levelChange(`z-${i}`, 'AWAS', 'NORMAL', 0)), 'opened');
      return c.incident.code;
    });
    expect(new Set(codes).size).toBe(60);
    for (const c of codes) expect(isGoodCode(c), c).toBe(true);
  });

  it('acknowledges by code or id, keeps who/when/how for each, and refuses an unknown or ended one', () => {
    const { b, clock } = book();
    const inc = must(b.onLevel(levelChange('z-braja', 'AWAS', 'NORMAL', 0)), 'opened').incident;
    clock.advance(90_000);
    const first = b.ack(' 4821 ', 'Darto', 'sms');
    expect(first).toEqual({
      ok: true,
      value: {
        kind: 'acked',
        incident: expect.objectContaining({ state: 'acked' }),
        ack: { by: 'Darto', channel: 'sms', at: 1_090_000 },
      },
    });
    expect(b.ack(inc.id.toLowerCase(), 'tech', 'cli').ok).toBe(true);
    expect(b.get(inc.id)?.acks.map((a) => a.by)).toEqual(['Darto', 'tech']);
    expect(b.ack('5555', 'x', 'sms')).toEqual({
      ok: false,
      reason: 'unknown_incident',
      detail: 'no incident has code or id "5555"',
    });
    // Still acknowledged after a change: people knew of it.
    expect(b.onLevel(levelChange('z-braja', 'SIAGA', 'AWAS', 0))?.incident.state).toBe('acked');
    b.onLevel(levelChange('z-braja', 'NORMAL', 'SIAGA', 0));
    expect(b.ack('4821', 'late', 'sms')).toEqual({
      ok: false,
      reason: 'closed',
      detail: 'incident 4821 in Dsn Braja is already over (all clear)',
    });
    // A day on, the code is forgotten and free again.
    clock.advance(24 * 3600_000);
    expect(b.ack('4821', 'late', 'sms')).toMatchObject({ ok: false, reason: 'unknown_incident' });
  });

  it('a late reply to a closed incident never acknowledges a new one', () => {
    const { b } = book(() => 3821);
    b.onLevel(levelChange('z-braja', 'AWAS', 'NORMAL', 0));
    b.onLevel(levelChange('z-braja', 'NORMAL', 'AWAS', 0));
    const second = must(b.onLevel(levelChange('z-braja', 'SIAGA', 'NORMAL', 0)), 'opened').incident;
    expect(second.code).not.toBe('4821');
    expect(b.ack('4821', 'late', 'sms')).toMatchObject({ ok: false, reason: 'closed' });
    expect(b.get(second.id)?.state).toBe('open');
  });

  it('survives a restart as plain data', () => {
    const { b, clock } = book();
    b.onLevel(levelChange('z-braja', 'AWAS', 'NORMAL', 0));
    b.ack('4821', 'Darto', 'sms');
    const copy = IncidentBook.restore(JSON.parse(JSON.stringify(b.toJSON())), { clock });
    expect(copy.open()).toEqual(b.open());
    expect(copy.onLevel(levelChange('z-braja', 'NORMAL', 'AWAS', 0))?.kind).toBe('closed');
  });
});
