import { describe, expect, it } from 'vitest';
import { REFUSAL_LOG_EVERY_MS, Refusals } from '../../src/broker/refusals.js';
import { ManualClock } from '../../src/domain/clock.js';
import { capturingLogger } from '../helpers/log.js';

describe('broker refusals under a flood', () => {
  it('counts every refusal but logs each reason once per interval, with how many went unlogged', () => {
    const clock = new ManualClock(0);
    const { log, lines } = capturingLogger('info');
    const counted: string[] = [];
    const refusals = new Refusals(
      log,
      (r) => counted.push(r),
      () => clock.now(),
    );
    for (let i = 0; i < 1000; i++) refusals.refuse('too_many_pending', { address: '10.0.0.5' });
    refusals.refuse('auth_throttled', { address: '10.0.0.5', user: 'ops' });
    expect(counted).toHaveLength(1001);
    expect(refusals.snapshot()).toEqual({ too_many_pending: 1000, auth_throttled: 1 });
    expect(lines.map((l) => l.reason)).toEqual(['too_many_pending', 'auth_throttled']);

    clock.advance(REFUSAL_LOG_EVERY_MS);
    refusals.refuse('too_many_pending', { address: '10.0.0.5' });
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ reason: 'too_many_pending', unlogged: 999, address: '10.0.0.5' });
  });
});
