import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentView } from '../../src/alerts/view.js';
import { encodeSg1 } from '../../src/codecs/sg1.js';
import { type Gateway, startGateway } from '../../src/main.js';
import { validateCap, xmllintAvailable } from '../fixtures/cap/xmllint.js';
import { silentLog, testConfig, tmpDir } from '../helpers/gateway.js';
import { until, untilAsync } from '../helpers/wait.js';
import { quiet, WebClient, webUrl, webUsersYaml } from '../helpers/web.js';

/**
 * The village screen and alerts for people together, on a running gateway: the office
 * acknowledges an incident from the page, and BPBD's systems read the CAP documents as an Atom feed.
 */
describe('alerts on the village screen (running gateway)', () => {
  let gw: Gateway;
  let base: string;
  const dir = tmpDir();

  beforeAll(async () => {
    const config = testConfig(
      `web: {enabled: true, host: 127.0.0.1, port: 8080}
local_broker:
  users:
${await webUsersYaml()}
alerts:
  enabled: true
  sms: {driver: print}
  contacts: [{id: ranger-1, name: Darto, phone: "+6281234567890", roles: [ranger]}]
  policies: [{zone: "*", steps: [{after_min: 0, notify: ["role:ranger"], min_level: SIAGA}]}]
  cap: {dir: ${join(dir, 'cap')}}`,
      dir,
    );
    gw = await startGateway({
      config,
      log: silentLog,
      noControl: true,
      sirenOut: quiet(),
      ports: { web: 0 },
    });
    base = webUrl(gw);
    gw.ingest.acceptLine(encodeSg1({ node: 'btn-pos1', seq: 1, type: 'btn', v: { p: 1 } }), {
      via: 'serial',
      from: 't',
    });
    await until('incident', () => gw.services.alerts?.list().incidents[0]);
  });
  afterAll(async () => gw?.stop());

  it('the office acknowledges from the page: recorded as the user, channel web, escalation stops', async () => {
    const viewer = await new WebClient(base).start();
    const { body } = await viewer.json<{ incidents: IncidentView[] }>('/api/incidents');
    const inc = body.incidents[0] as IncidentView;
    expect(inc).toMatchObject({ zone: 'z-braja', level: 'AWAS', state: 'open' });
    // Looking is open to the LAN; acknowledging needs a login with the right role.
    expect((await viewer.post(`/api/incidents/${inc.id}/ack`)).status).toBe(401);
    const kantor = await new WebClient(base).start();
    await kantor.login('kantor');
    const ack = await kantor.post(`/api/incidents/${inc.id}/ack`);
    expect(ack.status).toBe(200);
    const after = gw.services.alerts?.list().incidents[0];
    expect(after?.state).toBe('acked');
    expect(after?.acks).toEqual([{ by: 'kantor', channel: 'web', at: expect.any(String) }]);
  });

  it.skipIf(!xmllintAvailable())(
    'serves the CAP documents as an Atom feed, each linked file a valid CAP document',
    async () => {
      await until('an Ack document', () =>
        gw.services.alerts?.list().incidents[0]?.notifications.some((n) => n.kind === 'Ack'),
      );
      const c = new WebClient(base);
      // The files are written in the background (their fsyncs never hold the event loop): the
      // feed shows the Ack a moment after the notification, as a BPBD poller would see it.
      const atom = await untilAsync('the Ack in the feed', async () => {
        const feed = await c.fetch('/cap/feed.atom');
        expect(feed.headers.get('content-type')).toMatch(/^application\/atom\+xml/);
        const text = await feed.text();
        return text.includes('<summary>Ack ') ? text : undefined;
      });
      expect(atom).toContain('<feed xmlns="http://www.w3.org/2005/Atom"');
      const links = [...atom.matchAll(/href="(\/cap\/[^"]+\.xml)"/g)].map((m) => m[1] as string);
      expect(links.length).toBeGreaterThanOrEqual(2); // Alert and Ack
      const docs = await Promise.all(links.map(async (l) => (await c.fetch(l)).text()));
      expect(docs[0]).toContain('<msgType>Ack</msgType>'); // newest first
      expect(validateCap(docs).ok).toBe(true);
      // Only the gateway's own documents: no other file, no way out of the folder.
      const scratch = mkdtempSync(join(tmpdir(), 'siaga-secret-'));
      writeFileSync(join(scratch, 'x.xml'), '<secret/>');
      for (const path of [
        '/cap/..%2F..%2Fsiaga.db',
        '/cap/notes.txt',
        `/cap/..%2F${encodeURIComponent(scratch)}%2Fx.xml`,
      ]) {
        expect((await c.fetch(path)).status).toBe(404);
      }
    },
  );
});
