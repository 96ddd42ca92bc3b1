import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../src/store/db.js';
import { lastLevelEvents, queryEvents } from '../../src/store/events.js';
import { tmpDir } from '../helpers/gateway.js';

function dbWith(rows: [number, string, Record<string, unknown>][]) {
  const db = openDb(join(tmpDir(), 'siaga.db'));
  const put = db.prepare('INSERT INTO events (id, ts, kind, fields) VALUES (?, ?, ?, ?)');
  for (const [i, [ts, kind, fields]] of rows.entries()) put.run(`e${i}`, ts, kind, JSON.stringify(fields));
  return db;
}

describe('events for the village screen', () => {
  it('queryEvents gives the newest `limit` events from `since`, oldest first', () => {
    const db = dbWith([
      [100, 'level', { zone: 'z-a', level: 'WASPADA' }],
      [200, 'siren_on', { siren: 's-1' }],
      [300, 'level', { zone: 'z-a', level: 'AWAS' }],
      [400, 'siren_off', { siren: 's-1' }],
    ]);
    expect(queryEvents(db, { since: 150, limit: 2 }).map((e) => e.ts)).toEqual([300, 400]);
    expect(queryEvents(db, { since: 0, limit: 10, kinds: ['level'] }).map((e) => e.fields.level)).toEqual([
      'WASPADA',
      'AWAS',
    ]);
    db.close();
  });

  it('lastLevelEvents gives each zone its latest level change inside the window', () => {
    const db = dbWith([
      [100, 'level', { zone: 'z-a', level: 'WASPADA', reason: 'old' }],
      [200, 'level', { zone: 'z-b', level: 'SIAGA', reason: 'b' }],
      [300, 'level', { zone: 'z-a', level: 'AWAS', reason: 'a' }],
      [350, 'siren_on', { zone: 'z-a' }],
      [900, 'level', { zone: 'z-a', level: 'NORMAL', reason: 'later' }],
    ]);
    const got = lastLevelEvents(db, 150, 500).map((e) => [e.fields.zone, e.fields.reason]);
    expect(got.sort()).toEqual([
      ['z-a', 'a'],
      ['z-b', 'b'],
    ]);
    db.close();
  });
});
