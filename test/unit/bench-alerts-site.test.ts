import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { alertsSite, triggerZones } from '../../bench/alerts-site.js';
import { siteConfig } from '../../bench/common.js';
import { tmpDir } from '../helpers/gateway.js';

/**
 * The alerts benches (A1–A3) run on a site the real config schema must accept, and A1 tells
 * zones apart by the phone in the outbox file name: a bench that silently measured another
 * zone's SMS, or failed on a schema change only when someone ran it, would report nothing true.
 */

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the alerts benches’ site', () => {
  it('A3: 100 zones in 20 areas parse as a config; each zone pages its own area’s ranger first', () => {
    const dir = tmpDir();
    dirs.push(dir);
    const zones = triggerZones(100, 5);
    const site = alertsSite({
      dir,
      zones,
      stepsYaml:
        '[{after_min: 0, notify: ["role:{role}"], min_level: SIAGA}, {after_min: 0.25, notify: [kades]}]',
      moreContacts: ['{id: kades, name: Kepala Desa, phone: "+6281298765432", roles: [village]}'],
    });
    const config = siteConfig({ dir, ...site });
    expect(config.zones.filter((z) => z.id.startsWith('zt-'))).toHaveLength(100);
    expect(config.alerts.enabled).toBe(true);
    expect(config.alerts.sms).toMatchObject({ driver: 'gammu-smsd', spool: site.spool });
    // 20 area rangers and the village head; five zones share one ranger's phone.
    expect(config.alerts.contacts).toHaveLength(21);
    expect(new Set(zones.map((z) => z.phone)).size).toBe(20);
    const p7 = config.alerts.policies.find((p) => p.zone === 'zt-07');
    expect(p7?.steps.map((s) => s.notify)).toEqual([['role:area-01'], ['kades']]);
    const ranger = config.alerts.contacts.find((c) => c.roles.includes('area-01'));
    expect(ranger?.phone).toBe(zones[7]?.phone);
  });

  it('A1/A2: one ranger per zone, so the outbox file name alone says which incident an SMS is for', () => {
    const zones = triggerZones(20);
    expect(new Set(zones.map((z) => z.phone)).size).toBe(20);
    expect(new Set(zones.map((z) => z.role)).size).toBe(20);
    for (const z of zones) expect(z.phone).toMatch(/^\+[1-9]\d{7,14}$/);
  });
});
