import type { SirenConfig } from '../config/schema.js';
import { EN, type Translate } from '../i18n/index.js';
import { type CheckResult, fail, type GatewayProbe, modeString, ok, type Probes, warn } from './types.js';

/** Wall clock not before gateway.min_valid_time, and NTP synchronised when timedatectl can tell. */
export async function checkClock(minValidTime: string, p: Probes, tr: Translate = EN): Promise<CheckResult> {
  const now = p.now();
  const min = Date.parse(minValidTime);
  const at = new Date(now).toISOString();
  if (now < min) {
    return fail(
      'clock',
      tr('doctor.clock.before_min', { at, min: minValidTime }),
      tr('doctor.clock.before_min_fix'),
    );
  }
  const ntp = await p.ntpSynchronized();
  if (ntp === 'no') {
    return warn('clock', tr('doctor.clock.no_ntp', { at }), tr('doctor.clock.no_ntp_fix'));
  }
  return ok('clock', tr(ntp === 'yes' ? 'doctor.clock.ok_ntp' : 'doctor.clock.ok_unknown', { at }));
}

export function checkGateway(gw: GatewayProbe, socketPath: string, tr: Translate = EN): CheckResult {
  if (gw.running) {
    const up = gw.uptimeS === undefined ? '' : tr('doctor.gateway.up', { up: formatUptime(gw.uptimeS) });
    const about = gw.version ? ` (siaga ${gw.version}${up})` : up;
    return ok('gateway', tr('doctor.gateway.running', { about, socket: socketPath }));
  }
  return warn(
    'gateway',
    tr('doctor.gateway.not_running', { why: gw.why }),
    tr('doctor.gateway.not_running_fix'),
  );
}

function formatUptime(s: number): string {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

type GpioSiren = Extract<SirenConfig, { driver: 'gpio' }>;
type CommandSiren = Extract<SirenConfig, { driver: 'command' }>;

/** gpio sirens: `gpioset` installed; the chip exists and this user may use it. */
export function checkGpioSirens(
  sirens: { siren: GpioSiren; index: number }[],
  p: Probes,
  tr: Translate = EN,
): CheckResult[] {
  if (sirens.length === 0) return [];
  const results: CheckResult[] = [];
  const gpioset = p.which('gpioset');
  results.push(
    gpioset
      ? ok(
          'gpioset',
          tr('doctor.gpio.ok', { path: gpioset, sirens: sirens.map((s) => s.siren.id).join(', ') }),
        )
      : fail('gpioset', tr('doctor.gpio.missing'), 'sudo apt install gpiod'),
  );
  const user = p.user().name;
  for (const { siren, index } of sirens) {
    const dev = siren.chip.startsWith('/') ? siren.chip : `/dev/${siren.chip}`;
    const name = `siren ${siren.id}`;
    const info = p.stat(dev);
    if (!info) {
      const chips = p.listDir('/dev').filter((n) => n.startsWith('gpiochip'));
      results.push(
        fail(
          name,
          tr('doctor.gpio.no_chip', { dev, index }),
          tr('doctor.gpio.no_chip_fix', { index, chips: chips.join(', ') || tr('doctor.gpio.no_chips') }),
        ),
      );
    } else if (!p.access(dev, 'rw')) {
      results.push(
        fail(
          name,
          tr('doctor.gpio.no_access', { dev, mode: modeString(info), user }),
          'sudo usermod -aG gpio siaga && sudo systemctl restart siaga',
        ),
      );
    } else {
      const low = siren.active_low ? tr('doctor.gpio.active_low') : '';
      results.push(ok(name, tr('doctor.gpio.siren_ok', { dev, line: siren.line, low })));
    }
  }
  return results;
}

/** command sirens: the program exists and is executable (it is not run: that would sound it). */
export function checkCommandSiren(
  siren: CommandSiren,
  index: number,
  p: Probes,
  tr: Translate = EN,
): CheckResult {
  const name = `siren ${siren.id}`;
  const key = `sirens[${index}].command`;
  const path = siren.command.includes('/') ? siren.command : p.which(siren.command);
  const info = path === undefined ? undefined : p.stat(path);
  if (path === undefined || !info) {
    return fail(
      name,
      tr('doctor.command.missing', { command: siren.command, key }),
      tr('doctor.command.missing_fix', { key }),
    );
  }
  if (info.kind !== 'file' || !p.access(path, 'x')) {
    return fail(
      name,
      tr('doctor.command.not_exec', { path, mode: modeString(info) }),
      `sudo chmod 755 ${path}`,
    );
  }
  return ok(name, tr('doctor.command.ok', { path }));
}
