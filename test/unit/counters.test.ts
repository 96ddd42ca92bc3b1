import { afterEach, expect, it, vi } from 'vitest';
import { Counters } from '../../src/gateway/counters.js';

afterEach(() => {
  vi.restoreAllMocks();
});

it('the snapshot lists reasons in order without ICU collation (its data would stay resident after the first heartbeat)', () => {
  const collate = vi.spyOn(String.prototype, 'localeCompare');
  const c = new Counters();
  for (const r of ['too_long', 'bad_crc', 'mic', 'Z_upper', 'bad_json']) c.count('serial', r);
  c.count('lora', 'mic', 2);
  const s = c.snapshot();
  expect(Object.keys(s.serial ?? {})).toEqual(['Z_upper', 'bad_crc', 'bad_json', 'mic', 'too_long']);
  expect(s.lora).toEqual({ mic: 2 });
  expect(collate).not.toHaveBeenCalled();
});
