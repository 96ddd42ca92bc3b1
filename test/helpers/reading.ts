import type { Reading } from '../../src/domain/index.js';

/** A serial reading of pir-07 with sequence `seq`: a heartbeat by default, `pir` for evidence. */
export const testReading = (seq: number, type: Reading['type'] = 'hb'): Reading => ({
  id: `R${String(seq).padStart(25, '0')}`,
  node: 'pir-07',
  seq,
  type,
  ts: 1_763_892_000_000 + seq,
  via: 'serial',
  v: type === 'hb' ? { bat: 3.9 } : { n: 1 },
  clockOk: true,
});
