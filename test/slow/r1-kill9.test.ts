import { afterAll, describe, expect, it } from 'vitest';
import { Kill9Scenario } from '../helpers/r1-kill9.js';
import { socatAvailable } from '../helpers/socat.js';

// R1 (docs/quality.md): 50 × kill -9 of the real gateway process at random moments while ~2,000 SG1
// frames/s stream into its serial pty, each followed by a restart on the same DB; then a clean
// round. Invariants per round: see test/helpers/r1-kill9.ts.

const ROUNDS = 50;

describe.skipIf(!socatAvailable())(`R1: kill -9 while frames stream in (${ROUNDS} rounds)`, () => {
  const scenario = new Kill9Scenario({ rounds: ROUNDS });
  afterAll(() => scenario.cleanup(), 30_000);

  it('keeps every acknowledged reading, the DB intact and the sirens safe across kill -9', async () => {
    for (let round = 1; round <= ROUNDS; round++) await scenario.crashRound(round);
    await scenario.cleanRound(ROUNDS + 1);
    const r = scenario.reports;
    expect(r).toHaveLength(ROUNDS);
    // Kills hit while commits were flowing: most rounds acknowledged readings before dying.
    expect(r.filter((x) => Object.keys(x.acked).length > 1).length).toBeGreaterThan(ROUNDS / 2);
    const dups = r.reduce((a, x) => a + x.duplicates, 0);
    process.stderr.write(`R1: ${ROUNDS} kills, ${dups} re-sent frames refused as already stored\n`);
  }, 900_000);
});
