import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IGNORED_REASONS, judgeNeighbourEvent, type NeighbourRule } from '../../src/neighbours/judge.js';
import { distanceText, preAlertText } from '../../src/neighbours/text.js';

const NOW = Date.UTC(2026, 10, 23, 19, 0, 0);
const RULE: NeighbourRule = {
  gateway: 'gw-braja-02',
  zones: { 'z-edge-east': 'z-braja' },
  distance_m: 1200,
  direction: 'west',
  weight: 30,
  max_age_s: 600,
};
const RULES = new Map([[RULE.gateway, RULE]]);
const never = () => undefined;

const level = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: '01JDX',
    ts: NOW - 5000,
    kind: 'level',
    zone: 'z-edge-east',
    level: 'AWAS',
    prev: 'SIAGA',
    local: true,
    village_code: '18.07.11.2006',
    ...over,
  });

const judge = (
  payload: string | Buffer,
  gateway = RULE.gateway,
  lastTs: (s: string) => number | undefined = never,
) => judgeNeighbourEvent(gateway, payload, NOW, RULES, lastTs);

describe('a neighbour level event, judged', () => {
  it('their AWAS raised by their own sensors becomes evidence in our mapped zone, with the reason people read', () => {
    expect(judge(level())).toEqual({
      act: 'evidence',
      zone: 'z-braja',
      level: 'AWAS',
      evidence: {
        source: 'gw-braja-02/z-edge-east',
        weight: 30,
        ts: NOW - 5000,
        text: 'gw-braja-02 AWAS 1.2 km west',
      },
    });
    expect(judge(level({ level: 'SIAGA' }))).toMatchObject({ act: 'evidence', level: 'SIAGA' });
  });

  it('their all-clear or a drop below SIAGA withdraws the pre-alert', () => {
    for (const l of ['NORMAL', 'WASPADA'])
      expect(judge(level({ level: l, all_clear: l === 'NORMAL' }))).toEqual({
        act: 'withdraw',
        source: 'gw-braja-02/z-edge-east',
        ts: NOW - 5000,
        level: l,
      });
  });

  it('a SIAGA/AWAS that rests on someone else’s pre-alert (local false or absent) is no source: withdrawn and counted', () => {
    expect(judge(level({ local: false }))).toMatchObject({ act: 'withdraw', ignored: 'not_local' });
    const { local: _l, ...old } = JSON.parse(level()) as Record<string, unknown>;
    expect(judge(JSON.stringify(old))).toMatchObject({ act: 'withdraw', ignored: 'not_local' });
  });

  it('an event older than max_age_s by our clock is ignored as stale; one just inside is taken', () => {
    expect(judge(level({ ts: NOW - 600_001 }))).toEqual({ act: 'ignore', reason: 'stale' });
    expect(judge(level({ ts: NOW - 599_000 }))).toMatchObject({ act: 'evidence' });
  });

  it('only configured gateways count, and a payload naming another gateway than its topic is refused', () => {
    expect(judge(level(), 'gw-other-09')).toEqual({ act: 'ignore', reason: 'unknown_gateway' });
    expect(judge(level({ gw: 'gw-evil-01' }))).toEqual({ act: 'ignore', reason: 'gw_mismatch' });
    expect(judge(level({ gw: 'gw-braja-02' }))).toMatchObject({ act: 'evidence' });
  });

  it('an event older than one already taken from the same zone (a late duplicate path) cannot undo it', () => {
    const last = (s: string) => (s === 'gw-braja-02/z-edge-east' ? NOW - 1000 : undefined);
    expect(judge(level({ ts: NOW - 2000 }), RULE.gateway, last)).toEqual({
      act: 'ignore',
      reason: 'out_of_order',
    });
    expect(judge(level({ ts: NOW - 1000, level: 'NORMAL' }), RULE.gateway, last)).toMatchObject({
      act: 'withdraw',
    });
  });

  it('other kinds and zones we do not map are skipped without a count; garbage is refused as malformed', () => {
    expect(judge(level({ kind: 'siren_on' }))).toEqual({ act: 'skip' });
    expect(judge(level({ zone: 'z-far-away' }))).toEqual({ act: 'skip' });
    for (const bad of [
      'not json',
      '[1,2]',
      'null',
      level({ ts: 'yesterday' }),
      level({ level: 'PANIC' }),
      level({ zone: 7 }),
    ])
      expect(judge(bad)).toEqual({ act: 'ignore', reason: 'malformed' });
  });

  it('never throws, whatever arrives on the topic, and every refusal has a known reason', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
          fc.json(),
          fc
            .record({
              kind: fc.constantFrom('level', 'cmd', 7),
              zone: fc.constantFrom('z-edge-east', 'z-x', null),
              level: fc.constantFrom('NORMAL', 'WASPADA', 'SIAGA', 'AWAS', 'x'),
              ts: fc.oneof(
                fc.integer({ min: NOW - 2_000_000, max: NOW + 2_000_000 }),
                fc.constant(Number.NaN),
              ),
              local: fc.oneof(fc.boolean(), fc.constant('yes')),
              gw: fc.constantFrom(undefined, 'gw-braja-02', 'gw-x'),
            })
            .map((o) => JSON.stringify(o)),
        ),
        (payload) => {
          const v = judge(payload);
          if (v.act === 'ignore') expect(IGNORED_REASONS).toContain(v.reason);
          if (v.act === 'evidence') expect(v.zone).toBe('z-braja');
        },
      ),
    );
  });
});

describe('pre-alert text', () => {
  it('says how far and which way, as a villager would', () => {
    expect(distanceText(800)).toBe('800 m');
    expect(distanceText(1000)).toBe('1 km');
    expect(distanceText(1200)).toBe('1.2 km');
    expect(distanceText(12_345)).toBe('12 km');
    expect(preAlertText('gw-braja-02', 'AWAS', 1200, 'west')).toBe('gw-braja-02 AWAS 1.2 km west');
    expect(preAlertText('gw-braja-02', 'SIAGA', 650)).toBe('gw-braja-02 SIAGA 650 m');
  });
});
