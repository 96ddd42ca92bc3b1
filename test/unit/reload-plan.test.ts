import { describe, expect, it } from 'vitest';
import { planReload, unchangedSirens, uplinkChanged } from '../../src/gateway/reload.js';
import { testConfig, tmpDir } from '../helpers/gateway.js';

describe('what a SIGHUP reload may apply', () => {
  const dir = tmpDir();
  const base = testConfig('lora: {gwmp: {port: 1700}}', dir);

  it('applies nodes, zones, sirens and detection; nothing needs a restart', () => {
    const next = testConfig('lora: {gwmp: {port: 1700}}\ndetection: {window_s: 300}', dir);
    next.nodes.push({ id: 'seis-09', type: 'seis', zone: 'z-braja' });
    const plan = planReload(base, next);
    expect(plan.restartNeeded).toEqual([]);
    expect(plan.config.detection.window_s).toBe(300);
    expect(plan.config.nodes.map((n) => n.id)).toContain('seis-09');
  });

  it('names what is bound at start and keeps the running value, so status stays true', () => {
    const next = testConfig('lora: {gwmp: {port: 1800}}\nlocal_broker: {port: 1884}', tmpDir());
    const plan = planReload(base, next);
    expect(plan.restartNeeded).toEqual([
      'storage.path',
      'control.socket',
      'lora.gwmp',
      'local_broker.enabled/host/port/tls',
    ]);
    expect(plan.config.storage.path).toBe(base.storage.path);
    expect(plan.config.lora?.gwmp.port).toBe(1700);
    expect(plan.config.local_broker.port).toBe(base.local_broker.port);
  });

  it('names switching alerts on or their SMS driver as needing a restart, and applies contacts and policies', () => {
    const alerts = (on: boolean, phone: string) =>
      testConfig(
        `lora: {gwmp: {port: 1700}}
alerts: {enabled: ${on}, sms: {driver: print}, contacts: [{id: r-1, name: Darto, phone: "${phone}"}]}`,
        dir,
      );
    const off = alerts(false, '+6281234567890');
    const plan = planReload(off, alerts(true, '+6281234500009'));
    expect(plan.restartNeeded).toEqual(['alerts.enabled/sms.driver/sms.spool/earthranger.enabled']);
    expect(plan.config.alerts.enabled).toBe(false);
    expect(plan.config.alerts.contacts[0]?.phone).toBe('+6281234500009');
    expect(planReload(off, alerts(false, '+6281234500009')).restartNeeded).toEqual([]);
  });

  it('names the LoRa region plan and NetID as needing a restart and keeps the running ones', () => {
    const next = testConfig(
      'lora: {gwmp: {port: 1700}, region: EU868, net_id: "000013", duty_cycle_pct: 10}',
      dir,
    );
    const plan = planReload(base, next);
    expect(plan.restartNeeded).toEqual(['lora.region/net_id/duty_cycle_pct']);
    expect(plan.config.lora).toMatchObject({ region: 'AS923-2', net_id: '000000' });
    expect(plan.config.lora?.duty_cycle_pct).toBeUndefined();
  });

  it('keeps the driver of every siren whose config did not change (no toggling)', () => {
    const next = testConfig('lora: {gwmp: {port: 1700}}', dir);
    next.sirens.push({ id: 's-2', driver: 'print' });
    expect([...unchangedSirens(base, next)]).toEqual(['s-1']);
    const changed = {
      ...next,
      sirens: [{ id: 's-1', driver: 'command' as const, command: '/bin/true', args: [], timeout_ms: 1000 }],
    };
    expect([...unchangedSirens(base, changed)]).toEqual([]);
  });

  it('rebuilds the uplink only when its connection or the command keys changed', () => {
    expect(uplinkChanged(base, testConfig('lora: {gwmp: {port: 1700}}', dir))).toBe(false);
    expect(
      uplinkChanged(base, testConfig('lora: {gwmp: {port: 1700}}\nuplink: {url: "mqtt://c:1883"}', dir)),
    ).toBe(true);
  });
});
