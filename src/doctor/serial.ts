import { type CheckResult, fail, modeString, ok, owner, type Probes, warn } from './types.js';

export const BY_ID_DIR = '/dev/serial/by-id';

/** Stable names of the plugged-in USB serial adapters, with the tty each points to now. */
export function byIdPorts(p: Probes): { link: string; target: string | undefined }[] {
  return p
    .listDir(BY_ID_DIR)
    .sort()
    .map((name) => {
      const link = `${BY_ID_DIR}/${name}`;
      return { link, target: p.realpath(link) };
    });
}

function listByIds(ports: { link: string; target: string | undefined }[]): string {
  return ports.map((b) => `${b.link}${b.target ? ` (now ${b.target})` : ''}`).join('; ');
}

const UNSTABLE = /^\/dev\/tty(USB|ACM)\d+$/;

/**
 * One configured serial port (a node input or a relay siren board): exists, is a character
 * device, this user may read and write it, and is named by its stable /dev/serial/by-id/ link.
 * `key` is the config key to edit, e.g. `serial[0].port`.
 */
export function checkSerialPort(name: string, path: string, key: string, p: Probes): CheckResult {
  const byId = byIdPorts(p);
  const info = p.stat(path);
  if (!info) {
    const fix =
      byId.length > 0
        ? `plugged-in adapters: ${listByIds(byId)}. Put the right one in ${key}, e.g. \`port: ${byId[0]?.link}\`, then: sudo systemctl restart siaga`
        : `no USB serial adapter is plugged in (${BY_ID_DIR}/ is empty or missing): check the cable and the adapter, then run \`ls -l ${BY_ID_DIR}/\` and \`dmesg | tail\``;
    return fail(name, `${path} does not exist (adapter unplugged, renamed, or a typo in ${key})`, fix);
  }
  if (info.kind !== 'char') {
    return fail(
      name,
      `${path} is not a serial device (${modeString(info)})`,
      `set ${key} to the adapter's device${byId.length > 0 ? `, one of: ${listByIds(byId)}` : ` (see ls -l ${BY_ID_DIR}/)`}`,
    );
  }
  const user = p.user().name;
  if (!p.access(path, 'rw')) {
    return fail(
      name,
      `${path} is ${modeString(info)} ${owner(info, p)}; user ${user} may not read and write it`,
      'add the gateway user to the group that owns it: sudo usermod -aG dialout siaga && sudo systemctl restart siaga' +
        (user !== 'siaga' ? ` (for yourself: sudo usermod -aG dialout ${user}, then log in again)` : ''),
    );
  }
  if (UNSTABLE.test(path)) {
    const real = p.realpath(path) ?? path;
    const same = byId.find((b) => b.target === real);
    return warn(
      name,
      `${path} works now, but ttyUSB/ttyACM numbers change with plug order and reboots`,
      same
        ? `use its stable name in ${key}: \`port: ${same.link}\``
        : byId.length > 0
          ? `use a stable name in ${key}, one of: ${listByIds(byId)}`
          : `use its /dev/serial/by-id/ name in ${key} (see ls -l ${BY_ID_DIR}/)`,
    );
  }
  return ok(name, `${path} is a serial device, readable and writable by ${user}`);
}
