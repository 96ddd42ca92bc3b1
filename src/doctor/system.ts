import type { SirenConfig } from '../config/schema.js';
import { type CheckResult, fail, type GatewayProbe, modeString, ok, type Probes, warn } from './types.js';

/** Wall clock not before gateway.min_valid_time, and NTP synchronised when timedatectl can tell. */
export async function checkClock(minValidTime: string, p: Probes): Promise<CheckResult> {
  const now = p.now();
  const min = Date.parse(minValidTime);
  const at = new Date(now).toISOString();
  if (now < min) {
    return fail(
      'clock',
      `the clock says ${at}, before gateway.min_valid_time (${minValidTime}); readings are stored with clock_ok=false`,
      "let NTP sync (needs the uplink): sudo timedatectl set-ntp true; or set it by hand: sudo date -s '2026-11-20 14:00'",
    );
  }
  const ntp = await p.ntpSynchronized();
  if (ntp === 'no') {
    return warn(
      'clock',
      `the clock says ${at} but NTP is not synchronised`,
      'sudo timedatectl set-ntp true; then check the network and: timedatectl timesync-status',
    );
  }
  return ok('clock', `${at}${ntp === 'yes' ? ', NTP synchronised' : ' (NTP state unknown: no timedatectl)'}`);
}

export function checkGateway(gw: GatewayProbe, socketPath: string): CheckResult {
  if (gw.running) {
    const up = gw.uptimeS === undefined ? '' : `, up ${formatUptime(gw.uptimeS)}`;
    return ok(
      'gateway',
      `running${gw.version ? ` (siaga ${gw.version}${up})` : up}; answers on ${socketPath}`,
    );
  }
  return warn(
    'gateway',
    `not running: ${gw.why}`,
    'sudo systemctl start siaga; if it stops again: journalctl -u siaga -n 50',
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
export function checkGpioSirens(sirens: { siren: GpioSiren; index: number }[], p: Probes): CheckResult[] {
  if (sirens.length === 0) return [];
  const results: CheckResult[] = [];
  const gpioset = p.which('gpioset');
  results.push(
    gpioset
      ? ok('gpioset', `${gpioset} (for ${sirens.map((s) => s.siren.id).join(', ')})`)
      : fail('gpioset', 'gpioset is not installed; gpio sirens cannot switch', 'sudo apt install gpiod'),
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
          `${dev} (sirens[${index}].chip) does not exist`,
          `set sirens[${index}].chip to one of: ${chips.join(', ') || '(none: is this a Raspberry Pi?)'}; list lines with: gpioinfo`,
        ),
      );
    } else if (!p.access(dev, 'rw')) {
      results.push(
        fail(
          name,
          `${dev} is ${modeString(info)}; user ${user} may not use it`,
          'sudo usermod -aG gpio siaga && sudo systemctl restart siaga',
        ),
      );
    } else results.push(ok(name, `gpio ${dev} line ${siren.line}${siren.active_low ? ' (active low)' : ''}`));
  }
  return results;
}

/** command sirens: the program exists and is executable (it is not run: that would sound it). */
export function checkCommandSiren(siren: CommandSiren, index: number, p: Probes): CheckResult {
  const name = `siren ${siren.id}`;
  const key = `sirens[${index}].command`;
  const path = siren.command.includes('/') ? siren.command : p.which(siren.command);
  const info = path === undefined ? undefined : p.stat(path);
  if (path === undefined || !info) {
    return fail(
      name,
      `${siren.command} (${key}) not found`,
      `install it there, or set ${key} to its full path`,
    );
  }
  if (info.kind !== 'file' || !p.access(path, 'x')) {
    return fail(name, `${path} is not an executable file (${modeString(info)})`, `sudo chmod 755 ${path}`);
  }
  return ok(name, `${path} is executable (run as \`${path} on\` / \`off\`)`);
}
