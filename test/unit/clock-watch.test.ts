import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/index.js';
import { ClockWatch } from '../../src/gateway/clock-watch.js';
import { RecordingEvents } from '../fakes/recording-events.js';

const MIN = Date.parse('2026-11-01');

function rig(start: number) {
  const clock = new ManualClock(start);
  let mono = 0;
  const events = new RecordingEvents({ clock });
  const watch = new ClockWatch({
    clock,
    minValidTime: MIN,
    mono: () => mono,
    events,
  });
  const step = (ms: number, wallJump = 0) => {
    mono += ms;
    clock.advance(ms + wallJump);
    watch.check();
  };
  return { watch, events: () => events.summary(), step, clock };
}

describe('ClockWatch (R7)', () => {
  it('after a power cut in 1970 says clock_ok false, then raises one clock event when NTP syncs', () => {
    const r = rig(Date.parse('1970-01-01T00:00:30Z'));
    expect(r.watch.clockOk).toBe(false);
    r.step(1000);
    r.step(1000);
    expect(r.events()).toEqual([]);
    r.step(1000, Date.parse('2026-11-25T20:00:00Z') - r.clock.now());
    expect(r.watch.clockOk).toBe(true);
    expect(r.events()).toHaveLength(1);
    expect(r.events()[0]).toMatchObject({ kind: 'clock', fields: { clock_ok: true } });
    r.step(1000);
    expect(r.events()).toHaveLength(1);
  });

  it('reports a large jump of a synced clock, but not ordinary drift', () => {
    const r = rig(Date.parse('2026-11-25T20:00:00Z'));
    r.step(1000, 200); // NTP slew: nothing
    expect(r.events()).toEqual([]);
    r.step(1000, -3_600_000);
    expect(r.events()).toEqual([
      { kind: 'clock', fields: expect.objectContaining({ clock_ok: true, jump_s: -3600 }) },
    ]);
  });
});
