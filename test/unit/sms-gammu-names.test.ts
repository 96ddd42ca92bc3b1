import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOurs, outboxFileName, parseInboxName, parseOutboxName } from '../../drivers/sms/gammu-names.js';

describe("gammu-smsd's file names", () => {
  it('names an outbox file in the dated form of gammu-smsd-files(7), priority letter first', () => {
    const at = Date.UTC(2026, 11, 1, 12, 42, 5);
    const id = '01KB2Y3Z4A5B6C7D8E9F0G1H2J';
    expect(outboxFileName({ id, to: '+6281234567890', priority: 'urgent', at, serial: 7 })).toBe(
      `OUTA20261201_124205_07_+6281234567890_${id}.txt`,
    );
    expect(outboxFileName({ id, to: '+6281234567890', priority: 'normal', at, serial: 107 })).toMatch(
      /^OUTB\d{8}_\d{6}_07_/,
    );
  });

  it('property: an outbox name parses back to its id, recipient and priority', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
        fc.stringMatching(/^\+[1-9]\d{7,14}$/),
        fc.constantFrom('urgent' as const, 'normal' as const),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.nat(),
        (id, to, priority, at, serial) => {
          const name = outboxFileName({ id, to, priority, at, serial });
          expect(isOurs(name)).toBe(true);
          expect(parseOutboxName(name)).toEqual({ id, to, priority });
        },
      ),
    );
  });

  it("ignores files that are not siaga's (gammu-smsd-inject's, a technician's test)", () => {
    expect(isOurs('OUTC20261201_124205_00_+6281_sms0.txt')).toBe(false);
    expect(isOurs('OUT+6281234567890.txt')).toBe(false);
    expect(parseOutboxName('.siaga-x.tmp')).toBeNull();
  });

  it('reads sender and part from an inbox name', () => {
    const p = parseInboxName('IN20261201_194205_00_+6281234567890_00.txt');
    expect(p).toMatchObject({ sender: '+6281234567890', part: 0, ext: 'txt' });
    expect(p?.at).toBe(new Date(2026, 11, 1, 19, 42, 5).getTime());
    expect(parseInboxName('IN20261201_194205_01_081234567890_02.bin')).toMatchObject({
      sender: '081234567890',
      part: 2,
      ext: 'bin',
    });
    expect(parseInboxName('README')).toBeNull();
  });
});
