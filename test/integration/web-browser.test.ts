import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSg1 } from '../../src/codecs/sg1.js';
import { hasChromium, LAPTOP, launchBrowser, PHONE } from '../helpers/browser.js';
import { runCli } from '../helpers/cli-run.js';
import { contrast } from '../helpers/contrast.js';
import { tmpDir } from '../helpers/gateway.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/mosquitto.js';
import { WEB_USERS, webGatewayYaml, webUsersYaml } from '../helpers/web.js';

/**
 * The village screen as a person sees it: Debian's headless chromium on the page of a running
 * `siaga run` (the demo's two zones), evidence arriving over the local broker as a Wi-Fi node's.
 * Screenshots go to SIAGA_SCREENSHOTS when set (the README's phone view comes from there).
 */

// What the page functions below touch inside the browser (this project compiles without the DOM lib).
declare const document: { documentElement: { scrollWidth: number } };
declare const window: object;
declare function getComputedStyle(e: unknown): { color: string; backgroundColor: string };

const LEVEL_RGB: Record<string, string> = {
  NORMAL: 'rgb(27, 110, 48)',
  AWAS: 'rgb(183, 28, 28)',
};

function gatewayYaml(dir: string, ports: { web: number; broker: number }, users: string): string {
  return `${webGatewayYaml({ id: 'gw-demo-01', site: 'Braja Harjosari', dir, ports, users })}
nodes:
  - {id: pir-07, type: pir, zone: z-braja, name: PIR at the rice-field edge, lat: -5.015, lon: 105.765}
  - {id: btn-pos1, type: btn, zone: z-braja, name: panic button at the guard post}
  - {id: seis-05, type: seis, zone: z-labuhan, name: geophone at Labuhan Ratu}
zones:
  - {id: z-braja, name: Braja Harjosari edge, sirens: [s-braja-1], center: [-5.02, 105.76], radius_m: 1500}
  - {id: z-labuhan, name: Labuhan Ratu edge, sirens: [s-labuhan-1], center: [-5.08, 105.72], radius_m: 1500}
sirens:
  - {id: s-braja-1, driver: print}
  - {id: s-labuhan-1, driver: print}
`;
}

async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.SIAGA_SCREENSHOTS ?? join(process.env.TMPDIR ?? '/tmp', 'screens');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, name) });
}

const actionButtons = (page: Page) =>
  page.locator(
    '[data-action="silence"], [data-action="unsilence"], [data-action="siren-test"], [data-action="ack"]',
  );

describe.skipIf(!hasChromium())('the village screen in headless Chromium', () => {
  let dir: string;
  let gw: GatewayProcess;
  let url: string;
  let node: mqtt.MqttClient;

  beforeAll(async () => {
    dir = tmpDir();
    const ports = { web: await freePort(), broker: await freePort() };
    gw = await GatewayProcess.start({ dir, yaml: gatewayYaml(dir, ports, await webUsersYaml()) });
    url = `http://127.0.0.1:${ports.web}/`;
    node = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.broker}`, {
      username: 'btn-pos1',
      password: WEB_USERS['btn-pos1'].password,
      reconnectPeriod: 0,
    });
  }, 60_000);

  afterAll(async () => {
    await node?.endAsync();
    await gw?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the zones, turns a card red live at AWAS, and lets the village office silence it', async () => {
    const phone = await launchBrowser(PHONE);
    try {
      const page = await phone.context.newPage();
      await page.goto(url);
      await page.locator('#conn[data-state="connected"]').waitFor({ timeout: 15_000 });
      await expect
        .poll(() =>
          page.locator('.zone[data-zone]').evaluateAll((els) => els.map((e) => e.getAttribute('data-level'))),
        )
        .toEqual(['NORMAL', 'NORMAL']);
      // A person just looking (not logged in) sees no buttons that act.
      expect(await actionButtons(page).count()).toBe(0);
      // Usable at 360 px: nothing wider than the screen.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        PHONE.width,
      );

      // A panic button press over Wi-Fi: the card turns red in the open page, no reload.
      await page.evaluate(() => {
        (window as unknown as { notReloaded: boolean }).notReloaded = true;
      });
      await node.publishAsync(
        'siaga/local/nodes/btn-pos1/up',
        encodeSg1({ node: 'btn-pos1', seq: 1, type: 'btn', v: { p: 1 } }),
        { qos: 1 },
      );
      const braja = page.locator('.zone[data-zone="z-braja"]');
      await page.locator('[data-zone="z-braja"][data-level="AWAS"]').waitFor({ timeout: 15_000 });
      expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
        true,
      );
      expect(await braja.evaluate((e) => getComputedStyle(e).backgroundColor)).toBe(LEVEL_RGB.AWAS);
      expect(await page.locator('.zone[data-zone="z-labuhan"]').getAttribute('data-level')).toBe('NORMAL');

      // Every level colour, as the browser paints it, keeps its text readable.
      // (read in one pass: the page re-renders its cards as live data arrives)
      const colours = await page
        .locator('.zone[data-zone], [data-legend-level]')
        .evaluateAll((els) =>
          els.map((e) => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]),
        );
      expect(colours.length).toBe(6);
      for (const [fg, bg] of colours) {
        expect(contrast(fg as string, bg as string), `${fg} on ${bg}`).toBeGreaterThanOrEqual(4.5);
      }
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        PHONE.width,
      );
      await screenshot(page, 'village-screen-phone.png');

      // The village office logs in and silences the zone, with a reason and a confirm step.
      await page.click('#login-open');
      await page.fill('input[name="username"]', 'kantor');
      await page.fill('input[name="password"]', WEB_USERS.kantor.password);
      await page.click('#login button[type="submit"]');
      await page.click('[data-action="silence"][data-zone="z-braja"]');
      await page.fill('#confirm input[name="reason"]', 'gajah sudah kembali ke hutan');
      await page.click('#confirm [data-action="confirm"]');
      await page.locator('[data-zone="z-braja"][data-silenced="true"]').waitFor({ timeout: 15_000 });

      // The action is an event with the user's name, in the page's events list too.
      await page
        .locator('#events li[data-kind="siren_silenced"]', { hasText: 'web:kantor' })
        .first()
        .waitFor({ timeout: 15_000 });
      const status = await runCli(['-c', gw.configFile, 'status', '--json']);
      expect(status.code).toBe(0);
      const silences = (
        JSON.parse(status.stdout) as { silences: { zone: string; by: string; reason?: string }[] }
      ).silences;
      expect(silences).toMatchObject([
        { zone: 'z-braja', by: 'web:kantor', reason: 'gajah sudah kembali ke hutan' },
      ]);

      // A forged POST from the page's own origin but without the CSRF token changes nothing.
      const forged = await page.evaluate(async () => {
        const r = await fetch('/api/zones/z-braja/unsilence', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        return r.status;
      });
      expect(forged).toBe(403);
      expect(await braja.getAttribute('data-silenced')).toBe('true');

      // English, remembered across a reload.
      await page.click('[data-action="lang"]');
      await page.reload();
      await page.locator('#conn[data-state="connected"]').waitFor({ timeout: 15_000 });
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      expect(await page.locator('#h-nodes').textContent()).toBe('Sensors');
    } finally {
      await phone.close();
    }
  });

  it('a viewer gets no action buttons; the laptop view fits; the page says when the gateway is gone', async () => {
    const laptop = await launchBrowser(LAPTOP);
    try {
      const page = await laptop.context.newPage();
      await page.goto(url);
      await page.click('#login-open');
      await page.fill('input[name="username"]', 'tamu');
      await page.fill('input[name="password"]', WEB_USERS.tamu.password);
      await page.click('#login button[type="submit"]');
      await page.locator('#who:not([hidden])').waitFor({ timeout: 15_000 });
      await page.locator('#conn[data-state="connected"]').waitFor({ timeout: 15_000 });
      expect(await actionButtons(page).count()).toBe(0);
      await expect
        .poll(() => page.locator('tr[data-node="btn-pos1"]').getAttribute('data-state'))
        .toBe('online');
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        LAPTOP.width,
      );
      await screenshot(page, 'village-screen-laptop.png');

      await gw.stop();
      await page.locator('#conn[data-state="disconnected"]').waitFor({ timeout: 30_000 });
      expect(await page.locator('#conn').textContent()).toContain('terputus');
    } finally {
      await laptop.close();
    }
  });
});
