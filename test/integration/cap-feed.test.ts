import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CapDocument, capAckDocument, capIncidentDocument } from '../../src/alerts/cap.js';
import { CapFolderReader, capFolderFeed, writeCapFile } from '../../src/alerts/cap-feed.js';
import { StorageError } from '../../src/domain/errors.js';
import { incident, OPENED, PLACE, SENDER } from '../fixtures/cap/incident.js';
import { validateCap, xmllint, xmllintAvailable } from '../fixtures/cap/xmllint.js';

/** Three documents of one incident, sent one minute apart. */
function documents(): CapDocument[] {
  const docs: CapDocument[] = [];
  docs.push(
    capIncidentDocument({ incident: incident(), place: PLACE, history: [], sender: SENDER, at: OPENED }),
  );
  const awas = incident({ level: 'AWAS', peak: 'AWAS' });
  docs.push(
    capIncidentDocument({
      incident: awas,
      place: PLACE,
      history: [...docs],
      sender: SENDER,
      at: OPENED + 60_000,
    }),
  );
  docs.push(
    capAckDocument(
      { incident: awas, place: PLACE, history: [...docs], sender: SENDER },
      { by: 'Darto', channel: 'sms', at: OPENED + 120_000 },
    ),
  );
  return docs;
}

describe.skipIf(!xmllintAvailable())('the CAP folder and its Atom feed, on a real file system', () => {
  it('writes each document whole under a time-sortable name, leaving no temp file', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'siaga-capdir-')), 'cap');
    const docs = documents();
    // Written out of order: the names, not the writing order, give the time order.
    const paths = await Promise.all(
      [docs[2], docs[0], docs[1]].map((d) => writeCapFile(dir, d as CapDocument)),
    );
    expect(readdirSync(dir).sort()).toEqual(paths.map((p) => p.slice(dir.length + 1)).sort());
    expect(readdirSync(dir).every((n) => n.endsWith('.xml') && !n.startsWith('.'))).toBe(true);
    expect(readFileSync(paths[1] as string, 'utf8')).toBe(docs[0]?.xml);
    const r = validateCap(readdirSync(dir).map((n) => readFileSync(join(dir, n), 'utf8')));
    expect(r.ok).toBe(true);
  });

  it('serves the folder as a well-formed Atom feed, newest first, keeping and naming a stray file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'siaga-capdir-'));
    const docs = documents();
    for (const d of docs) await writeCapFile(dir, d);
    writeFileSync(join(dir, '20261201T124300Z-broken.xml'), '<alert><identifier>half');
    writeFileSync(join(dir, '.20261201T124400Z-x.xml.1.tmp'), 'half written');

    const reader = new CapFolderReader();
    const folder = await reader.read(dir);
    expect(folder.entries.map((e) => e.identifier)).toEqual([...docs].reverse().map((d) => d.identifier));
    expect(folder.skipped).toEqual([
      { file: '20261201T124300Z-broken.xml', reason: 'not a whole CAP document (no closing </alert>)' },
    ]);
    expect(readdirSync(dir)).toContain('20261201T124300Z-broken.xml');

    const feedFile = join(dir, 'feed.atom');
    const { xml: atom, skipped } = await capFolderFeed(reader, dir, {
      id: 'urn:siaga:cap:gw-1',
      title: 'siaga CAP gw-1',
      now: OPENED,
    });
    expect(skipped).toEqual(folder.skipped);
    writeFileSync(feedFile, atom);
    const lint = xmllint([feedFile]);
    expect(lint.output).toBe('');
    expect(lint.ok).toBe(true);
    const updated = [...atom.matchAll(/<entry>[\s\S]*?<updated>([^<]+)<\/updated>/g)].map((m) =>
      Date.parse(m[1] as string),
    );
    expect(updated).toHaveLength(3);
    expect([...updated].sort((a, b) => b - a)).toEqual(updated);
    expect(atom.indexOf('Ack')).toBeLessThan(atom.indexOf('AWAS: gajah liar'));
  });

  it('the feed follows the folder: a stray file replaced in place by a document shows up, a deleted document leaves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'siaga-capdir-'));
    const [first, second] = documents() as [CapDocument, CapDocument];
    const path = await writeCapFile(dir, first);
    const stray = join(dir, '20261201T130000Z-later.xml');
    writeFileSync(stray, '<alert><identifier>half');
    const reader = new CapFolderReader();
    const before = await reader.read(dir);
    expect(before.entries.map((e) => e.identifier)).toEqual([first.identifier]);
    expect(before.skipped.map((k) => k.file)).toEqual(['20261201T130000Z-later.xml']);
    // The same reader, as the page keeps it between requests.
    writeFileSync(stray, second.xml);
    rmSync(path);
    const after = await reader.read(dir);
    expect(after.entries.map((e) => e.identifier)).toEqual([second.identifier]);
    expect(after.skipped).toEqual([]);
  });

  it('reads an absent folder as empty, and names the folder when a document cannot be written', async () => {
    const base = mkdtempSync(join(tmpdir(), 'siaga-capdir-'));
    expect(await new CapFolderReader().read(join(base, 'none'))).toEqual({ entries: [], skipped: [] });
    const notADir = join(base, 'file');
    writeFileSync(notADir, 'x');
    const doc = documents()[0] as CapDocument;
    await expect(writeCapFile(join(notADir, 'cap'), doc)).rejects.toThrow(StorageError);
    await expect(writeCapFile(join(notADir, 'cap'), doc)).rejects.toThrow(
      /cannot write CAP document siaga-.*-001 to .*file\/cap \(ENOTDIR\)/,
    );
  });
});
