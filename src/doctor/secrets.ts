import { isAbsolute, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { EN, type Translate } from '../i18n/index.js';
import { type CheckResult, modeString, ok, owner, type Probes, warn } from './types.js';

/** Every file in the config that holds a secret, with the config key that names it. */
export function secretFiles(config: Config, baseDir: string): { key: string; path: string }[] {
  const files: { key: string; path: string }[] = [];
  const add = (key: string, v: string | undefined) => {
    if (v !== undefined) files.push({ key, path: isAbsolute(v) ? v : resolve(baseDir, v) });
  };
  add('uplink.password_file', config.uplink?.password_file);
  add('uplink.key_file', config.uplink?.key_file);
  add('local_broker.tls.key_file', config.local_broker.tls?.key_file);
  config.commands.keys.forEach((k, i) => {
    add(`commands.keys[${i}].secret_file`, k.secret_file);
  });
  config.lora?.devices.forEach((d, i) => {
    add(`lora.devices[${i}].nwk_s_key_file`, d.nwk_s_key_file);
    add(`lora.devices[${i}].app_s_key_file`, d.app_s_key_file);
  });
  add('alerts.earthranger.token_file', config.alerts.earthranger.token_file);
  return files;
}

/**
 * Secret files (and the config file, which holds password hashes and maybe inline secrets) must
 * not be readable by everyone: the intended mode is 0640 root:siaga (0640 root:root is as safe). WARN when other users may
 * read them, when a group other than siaga may, or when anyone but the owner may write them.
 */
export function checkSecretPermissions(
  files: { key: string; path: string }[],
  p: Probes,
  tr: Translate = EN,
): CheckResult[] {
  const results: CheckResult[] = [];
  const seen = new Set<string>();
  let fine = 0;
  for (const f of files) {
    if (seen.has(f.path)) continue;
    seen.add(f.path);
    const info = p.stat(f.path);
    if (!info) continue; // a missing secret file is a config error, reported with exit 78
    const group = p.groupName(info.gid) ?? String(info.gid);
    const problems: string[] = [];
    if (info.mode & 0o004) problems.push(tr('doctor.secret.every_read'));
    if (info.mode & 0o002) problems.push(tr('doctor.secret.every_change'));
    // Group root (gid 0) holds only root, who may read everything anyway: 0640 root:root is fine.
    if (info.mode & 0o040 && group !== 'siaga' && info.gid !== 0)
      problems.push(tr('doctor.secret.group_read', { group }));
    if (info.mode & 0o020) problems.push(tr('doctor.secret.group_change', { group }));
    if (problems.length === 0) {
      fine++;
      continue;
    }
    results.push(
      warn(
        'secret file',
        tr('doctor.secret.bad', {
          path: f.path,
          key: f.key,
          mode: modeString(info),
          owner: owner(info, p),
          problems: problems.join(', '),
        }),
        `sudo chown root:siaga ${f.path} && sudo chmod 640 ${f.path}`,
      ),
    );
  }
  if (results.length === 0) results.push(ok('secret files', tr('doctor.secret.ok', { n: fine })));
  return results;
}
