import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deleteFresh } from '../../src/util/fresh.js';

describe('deleteFresh', () => {
  it('property: holds exactly what a plain Map/Set would after any adds and deletes, and an emptied collection is a new one', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 5 }))), (ops) => {
        let set = new Set<number>();
        let map = new Map<number, string>();
        const plainSet = new Set<number>();
        for (const [add, k] of ops) {
          if (add) {
            set.add(k);
            map.set(k, `v${k}`);
            plainSet.add(k);
            continue;
          }
          const [beforeSet, beforeMap] = [set, map];
          set = deleteFresh(set, k);
          map = deleteFresh(map, k);
          plainSet.delete(k);
          expect(set !== beforeSet).toBe(plainSet.size === 0);
          expect(map !== beforeMap).toBe(plainSet.size === 0);
        }
        expect([...set].sort()).toEqual([...plainSet].sort());
        expect([...map.keys()].sort()).toEqual([...plainSet].sort());
        for (const k of plainSet) expect(map.get(k)).toBe(`v${k}`);
      }),
    );
  });
});
