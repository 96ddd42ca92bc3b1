import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { known, numberIn, readingType } from '../../src/cli/validate.js';
import { READING_TYPES, UsageError } from '../../src/domain/index.js';
import { testConfig } from '../helpers/gateway.js';
import { must } from '../helpers/must.js';

const config = testConfig();

function refusal(f: () => unknown): UsageError {
  try {
    f();
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error('expected a UsageError');
}

describe('one validation layer for what a person typed', () => {
  it('an unknown siren, zone or node is a usage error (64) naming the ones that exist', () => {
    const s = refusal(() => known(config, 'siren', 's-nope'));
    expect(s.exitCode).toBe(64);
    expect(s.message).toBe(
      `unknown siren "s-nope"; this gateway has: ${config.sirens.map((x) => x.id).join(', ')}`,
    );
    expect(refusal(() => known(config, 'zone', 'z-nope')).message).toMatch(
      /^unknown zone "z-nope"; this gateway has: /,
    );
    expect(refusal(() => known(config, 'node', 'nope')).message).toMatch(
      /^unknown node "nope"; this gateway has: /,
    );
    const firstNode = must(config.nodes[0], 'a node in the config').id;
    expect(known(config, 'node', firstNode)).toBe(firstNode);
  });

  it('without a config (none valid, none saved) ids pass through for the gateway to judge', () => {
    expect(known(undefined, 'siren', 's-x')).toBe('s-x');
  });

  it('reading types: the eight known pass, anything else is refused in one sentence', () => {
    for (const t of READING_TYPES) expect(readingType(t)).toBe(t);
    fc.assert(
      fc.property(
        fc.string().filter((s) => !(READING_TYPES as readonly string[]).includes(s)),
        (s) => {
          const e = refusal(() => readingType(s));
          expect(e.exitCode).toBe(64);
          expect(e.message).toContain('use one of hb pir seis beam cam fence gps btn');
        },
      ),
    );
  });

  it('numbers: inside the range pass; outside, non-numbers and fractions (when whole) are refused', () => {
    expect(numberIn('--seconds', '4', 1, 60)).toBe(4);
    expect(numberIn('--seconds', '1.5', 1, 60)).toBe(1.5);
    for (const bad of ['', ' ', 'abc', '0', '61', 'NaN', 'Infinity', '1e9'])
      expect(refusal(() => numberIn('--seconds', bad, 1, 60)).message).toMatch(
        /^--seconds takes a number from 1 to 60/,
      );
    expect(refusal(() => numberIn('--limit', '2.5', 1, 10, true)).message).toMatch(/whole number/);
  });
});
