import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { admit, MAX_UNLISTED_GATEWAYS, UNLISTED_SLOT_MS } from '../../drivers/gwmp/admission.js';
import { must } from '../helpers/must.js';

/** Plays arrivals through `admit` the way GwmpServer does; returns who was served, in order. */
function play(arrivals: { eui: string; at: number }[], allow?: string[]) {
  const known = new Map<string, { lastSeen: number }>();
  const allowSet = allow ? new Set(allow) : undefined;
  const served: string[] = [];
  let most = 0;
  for (const { eui, at } of arrivals) {
    const a = admit(eui, known, allowSet, at);
    if (!a.ok) continue;
    if (a.evict !== undefined) known.delete(a.evict);
    known.set(eui, { lastSeen: at });
    served.push(eui);
    most = Math.max(most, known.size);
  }
  return { served, most, known };
}

const eui = fc.stringMatching(/^[0-9a-f]{16}$/);

describe('gwmp admission', () => {
  it('serves only the listed forwarders when lora.gateways is set', () => {
    const { served } = play(
      [
        { eui: 'aa555a0000000101', at: 0 },
        { eui: '0000000000000bad', at: 1 },
        { eui: 'aa555a0000000101', at: 2 },
      ],
      ['aa555a0000000101'],
    );
    expect(served).toEqual(['aa555a0000000101', 'aa555a0000000101']);
  });

  it('without a list serves the first few, refuses the rest, and frees a slot only after long silence', () => {
    const first = Array.from({ length: MAX_UNLISTED_GATEWAYS }, (_, i) => ({
      eui: `00000000000000${i}0`,
      at: 0,
    }));
    const late = { eui: 'ffffffffffffffff', at: 1000 };
    expect(play([...first, late]).served).toEqual(first.map((a) => a.eui));
    // The real concentrator keeps talking, so it keeps its slot; a silent one gives its slot up.
    const [talker, silent] = [must(first[0], 'a first gateway'), must(first[1], 'a second gateway')];
    const keepAlive = { eui: talker.eui, at: UNLISTED_SLOT_MS };
    const afterSilence = { eui: 'ffffffffffffffff', at: UNLISTED_SLOT_MS + 1 };
    const r = play([...first, keepAlive, afterSilence]);
    expect(r.served.at(-1)).toBe('ffffffffffffffff');
    expect(r.known.has(talker.eui)).toBe(true);
    expect(r.known.has(silent.eui)).toBe(false);
  });

  it('never holds more than the bound, whatever EUIs arrive and when (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ eui, at: fc.integer({ min: 0, max: 10 * UNLISTED_SLOT_MS }) }), {
          maxLength: 300,
        }),
        fc.option(fc.uniqueArray(eui, { minLength: 1, maxLength: 32 }), { nil: undefined }),
        (raw, allow) => {
          const arrivals = [...raw].sort((a, b) => a.at - b.at);
          const { most, served } = play(arrivals, allow);
          expect(most).toBeLessThanOrEqual(allow ? allow.length : MAX_UNLISTED_GATEWAYS);
          if (allow) for (const s of served) expect(allow).toContain(s);
        },
      ),
    );
  });
});
