import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/store/db.js';
import { StoreWriter } from '../../src/store/writer.js';
import { nightConfigYaml, storedNight } from '../fixtures/stored-night.js';
import { runCli } from '../helpers/cli-run.js';
import { silentLog, tmpDir } from '../helpers/gateway.js';

/**
 * `siaga replay` as a technician uses it: last night's database of a gateway (written by the real
 * store writer), or a CSV `siaga export` made of it, replayed with the running config and with a
 * candidate config, printed for a person and as JSON.
 */
const N = storedNight().length;

describe('siaga replay --from <db or CSV> [-c candidate.yaml]', () => {
  let dir: string;
  let db: string;
  let current: string;
  let strict: string;
  let csv: string;

  beforeAll(async () => {
    dir = tmpDir('siaga-replay-');
    db = join(dir, 'siaga.db');
    const handle = openDb(db);
    const writer = new StoreWriter({
      db: handle,
      log: silentLog,
      options: { maxRows: 1000, maxDelayMs: 1000 },
    });
    for (const r of storedNight()) writer.addReading(r);
    expect(writer.flush()).toBe(true);
    writer.close();
    handle.close();
    current = join(dir, 'siaga.yaml');
    writeFileSync(current, nightConfigYaml(db));
    strict = join(dir, 'strict.yaml');
    writeFileSync(strict, nightConfigYaml(db, '{thresholds: {waspada: 60, siaga: 120, awas: 200}}'));
    csv = join(dir, 'night.csv');
    const exported = await runCli([
      '-c',
      current,
      'export',
      '--from',
      '2026-11-23',
      '--to',
      '2026-11-25',
      '-o',
      csv,
    ]);
    expect(exported.code, exported.stderr).toBe(0);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the level changes and the siren the stored night would have produced', async () => {
    const r = await runCli(['replay', '--from', db, '-c', current], {
      env: { ...process.env, LANG: 'C.UTF-8' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`replay of ${N} reading(s)`);
    expect(r.stdout).toMatch(
      /2026-11-24 01:02:40 WIB\s+z-braja\s+SIAGA → AWAS\s+AWAS: beam cut and footfalls agree/,
    );
    expect(r.stdout).toMatch(
      /s-braja\s+z-braja\s+2026-11-24 01:02:40 WIB\s+2026-11-24 01:08:00 WIB\s+220 s \(level\)/,
    );
    expect(r.stdout).toContain('NORMAL: all clear');
    expect(r.stdout).toContain('AWAS 1×, 1 siren alarm(s), 220 s of siren, 0 SMS');
  });

  it('tries a candidate config on the same night: stricter thresholds would have stayed below AWAS', async () => {
    const r = await runCli(['replay', '--from', db, '--config', strict], {
      env: { ...process.env, LANG: 'C.UTF-8' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('→ AWAS');
    expect(r.stdout).toContain('AWAS 0×, 0 siren alarm(s), 0 s of siren, 0 SMS');
  });

  it('reads the CSV of siaga export the same as the database, and answers JSON for scripts', async () => {
    const fromDb = JSON.parse((await runCli(['replay', '--from', db, '-c', current, '--json'])).stdout);
    const fromCsv = JSON.parse((await runCli(['replay', '--from', csv, '-c', current, '--json'])).stdout);
    expect(fromCsv.readings).toBe(N);
    expect(fromCsv.changes).toEqual(fromDb.changes);
    expect(fromCsv.sirenSeconds).toEqual({ 's-braja': 220 });
    expect(fromCsv.skipped).toEqual([]);
  });

  it('speaks Bahasa Indonesia to a technician whose LANG says so', async () => {
    const r = await runCli(['replay', '--from', db, '-c', current], {
      env: { ...process.env, LANG: 'id_ID.UTF-8' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`putar ulang ${N} bacaan`);
    expect(r.stdout).toContain('220 detik sirene');
  });

  it('refuses a file that is neither, in one sentence that says what to give, and loses nothing', async () => {
    const junk = join(dir, 'notes.txt');
    writeFileSync(junk, 'gajah lewat jam 1\n');
    const r = await runCli(['replay', '--from', junk, '-c', current]);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(
      /^siaga: .*notes\.txt is neither a siaga database nor a readings CSV of siaga export.*siaga export --from 30d/,
    );
    expect(readFileSync(junk, 'utf8')).toBe('gajah lewat jam 1\n');
    const missing = await runCli(['replay', '--from', join(dir, 'nope.db'), '-c', current]);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain('cannot read');
  });

  it('names the rows of an edited CSV it could not use, and replays the rest', async () => {
    const lines = readFileSync(csv, 'utf8').split('\r\n');
    const bad = join(dir, 'edited.csv');
    // Row 3 (a fence reading) gets a ts that is not a number.
    lines[2] = (lines[2] as string).replace(/,(\d{13}),/, ',yesterday,');
    writeFileSync(bad, lines.join('\r\n'));
    const r = await runCli(['replay', '--from', bad, '-c', current], {
      env: { ...process.env, LANG: 'C.UTF-8' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('line 3 skipped: ts "yesterday" is not epoch milliseconds');
    expect(r.stdout).toContain(`replay of ${N - 1} reading(s)`);
    expect(r.stdout).toContain('SIAGA → AWAS');
  });
});
