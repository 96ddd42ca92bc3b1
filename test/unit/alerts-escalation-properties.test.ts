import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EscalationConfig } from '../../src/alerts/escalation.js';
import { resolveNotify } from '../../src/alerts/policy.js';
import type { Level } from '../../src/domain/index.js';
import { type Action, CONTACTS, type RigEvent, runScript } from '../helpers/alerts-rig.js';

type Script = [number, string, Action][];

const level = fc.constantFrom<Level>('NORMAL', 'WASPADA', 'SIAGA', 'AWAS');
const op = fc.record({
  dtS: fc.integer({ min: 0, max: 180 }).map((x) => x * 5),
  zone: fc.constantFrom('z-a', 'z-b'),
  action: fc.oneof({ weight: 5, arbitrary: level }, { weight: 1, arbitrary: fc.constant({ ack: 'Darto' }) }),
});
/** Level changes and acknowledgements at times a few seconds to 15 minutes apart, in two zones. */
const script = fc.array(op, { maxLength: 20 }).map((ops) => {
  let t = 0;
  return ops.map((o): [number, string, Action] => {
    t += o.dtS;
    return [t, o.zone, o.action];
  });
});
const target = fc.constantFrom(
  'ranger-1',
  'kades',
  'bpbd',
  'role:ranger',
  'role:eru',
  'role:ranger-2',
  'role:park',
);
const step = fc.record({
  after_min: fc.integer({ min: 0, max: 48 }).map((x) => x / 4),
  notify: fc.uniqueArray(target, { minLength: 1, maxLength: 3 }),
  min_level: fc.constantFrom<Exclude<Level, 'NORMAL'>>('WASPADA', 'SIAGA', 'AWAS'),
});
const config: fc.Arbitrary<EscalationConfig> = fc.record({
  group_wait_s: fc.integer({ min: 0, max: 90 }),
  contacts: fc.constant(CONTACTS),
  policies: fc
    .record({
      zone: fc.constant('*'),
      repeat_min: fc.integer({ min: 1, max: 20 }).map((x) => x / 2),
      reconfirm_min: fc.integer({ min: 1, max: 60 }),
      steps: fc
        .array(step, { minLength: 1, maxLength: 4 })
        .map((s) => s.sort((a, b) => a.after_min - b.after_min)),
    })
    .map((p) => [p]),
});

const untilMin = (s: Script) => (s.at(-1)?.[0] ?? 0) / 60 + 180;

describe('escalation properties', () => {
  it('never more than two rounds around the step list: each step reaches each person at most twice', () => {
    fc.assert(
      fc.property(script, config, (s, cfg) => {
        const out = runScript(s, untilMin(s), cfg);
        const steps = cfg.policies[0]?.steps ?? [];
        const seen = new Set<string>();
        for (const n of out) {
          if (n.kind !== 'alert' && n.kind !== 'reminder') continue;
          expect([0, 1]).toContain(n.round);
          const key = `${n.incident} ${n.round} ${n.step} ${n.contact}`;
          expect(seen.has(key), key).toBe(false);
          seen.add(key);
        }
        const perContact = new Map<string, number>();
        for (const n of out)
          if (n.kind === 'alert' || n.kind === 'reminder')
            perContact.set(
              `${n.incident} ${n.contact}`,
              (perContact.get(`${n.incident} ${n.contact}`) ?? 0) + 1,
            );
        for (const [key, count] of perContact) {
          const contact = key.split(' ')[1] ?? '';
          const stepsNaming = steps.filter((st) =>
            resolveNotify(st.notify, CONTACTS).includes(contact),
          ).length;
          expect(count, key).toBeLessThanOrEqual(2 * stepsNaming);
        }
      }),
      { numRuns: 80 },
    );
  });

  it('after an acknowledgement an incident sends only reconfirms and its all-clear', () => {
    fc.assert(
      fc.property(script, config, (s, cfg) => {
        const log: RigEvent[] = [];
        const out = runScript(s, untilMin(s), cfg, 5, log);
        for (const e of log) {
          if (e.type !== 'ack') continue;
          const after = out.slice(e.before).filter((n) => n.incident === e.incident);
          for (const n of after) expect(['reconfirm', 'all_clear']).toContain(n.kind);
          for (const n of after) if (n.kind === 'reconfirm') expect(n.level).toBe('AWAS');
        }
      }),
      { numRuns: 80 },
    );
  });

  it('a higher level never lets a lower-level message out: every message carries the level as it is', () => {
    fc.assert(
      fc.property(script, config, (s, cfg) => {
        const log: RigEvent[] = [];
        const out = runScript(s, untilMin(s), cfg, 5, log);
        out.forEach((n, i) => {
          const now = log.filter((e) => e.type === 'level' && e.zone === n.zone && e.before <= i).at(-1);
          expect(n.level).toBe(
            n.kind === 'all_clear' ? 'NORMAL' : now?.type === 'level' ? now.level : undefined,
          );
        });
      }),
      { numRuns: 80 },
    );
  });

  it('a restart from toJSON at any moments gives the same future as no restart', () => {
    fc.assert(
      fc.property(
        script,
        config,
        fc.array(fc.integer({ min: 0, max: 6000 }), { maxLength: 4 }),
        (s, cfg, at) => {
          const restarts: Script = at.map((t) => [t * 5, 'z-a', 'restart']);
          expect(runScript([...s, ...restarts], untilMin(s), cfg)).toEqual(runScript(s, untilMin(s), cfg));
        },
      ),
      { numRuns: 50 },
    );
  });
});
