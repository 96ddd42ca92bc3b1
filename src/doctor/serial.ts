import { EN, type Translate } from '../i18n/index.js';
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

function listByIds(ports: { link: string; target: string | undefined }[], tr: Translate): string {
  return ports
    .map((b) => `${b.link}${b.target ? tr('doctor.serial.now', { target: b.target }) : ''}`)
    .join('; ');
}

const UNSTABLE = /^\/dev\/tty(USB|ACM)\d+$/;

/**
 * One configured serial port (a node input or a relay siren board): exists, is a character
 * device, this user may read and write it, and is named by its stable /dev/serial/by-id/ link.
 * `key` is the config key to edit, e.g. `serial[0].port`.
 */
export function checkSerialPort(
  name: string,
  path: string,
  key: string,
  p: Probes,
  tr: Translate = EN,
): CheckResult {
  const byId = byIdPorts(p);
  const info = p.stat(path);
  if (!info) {
    const fix =
      byId.length > 0
        ? tr('doctor.serial.missing_fix_adapters', {
            adapters: listByIds(byId, tr),
            key,
            example: byId[0]?.link ?? '',
          })
        : tr('doctor.serial.missing_fix_none', { dir: BY_ID_DIR });
    return fail(name, tr('doctor.serial.missing', { path, key }), fix);
  }
  if (info.kind !== 'char') {
    return fail(
      name,
      tr('doctor.serial.not_char', { path, mode: modeString(info) }),
      byId.length > 0
        ? tr('doctor.serial.not_char_fix_adapters', { key, adapters: listByIds(byId, tr) })
        : tr('doctor.serial.not_char_fix_none', { key, dir: BY_ID_DIR }),
    );
  }
  const user = p.user().name;
  if (!p.access(path, 'rw')) {
    return fail(
      name,
      tr('doctor.serial.no_access', { path, mode: modeString(info), owner: owner(info, p), user }),
      tr('doctor.serial.no_access_fix') +
        (user !== 'siaga' ? tr('doctor.serial.no_access_self', { user }) : ''),
    );
  }
  if (UNSTABLE.test(path)) {
    const real = p.realpath(path) ?? path;
    const same = byId.find((b) => b.target === real);
    return warn(
      name,
      tr('doctor.serial.unstable', { path }),
      same
        ? tr('doctor.serial.unstable_fix_same', { key, link: same.link })
        : byId.length > 0
          ? tr('doctor.serial.unstable_fix_adapters', { key, adapters: listByIds(byId, tr) })
          : tr('doctor.serial.unstable_fix_none', { key, dir: BY_ID_DIR }),
    );
  }
  return ok(name, tr('doctor.serial.ok', { path, user }));
}
