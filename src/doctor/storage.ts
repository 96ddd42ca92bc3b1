import { dirname } from 'node:path';
import { EN, type Translate } from '../i18n/index.js';
import { MIGRATIONS } from '../store/schema.js';
import { type CheckResult, fail, modeString, ok, owner, type Probes, warn } from './types.js';

export const DISK_WARN_MB = 500;
export const DISK_FAIL_MB = 50;
/** The only place the systemd unit lets the gateway write (ProtectSystem=strict). */
export const UNIT_DATA_DIR = '/var/lib/siaga';

/** The database's directory exists, is a directory, and this user may write in it. */
export function checkStorageDir(dbPath: string, p: Probes, tr: Translate = EN): CheckResult {
  const dir = dirname(dbPath);
  const info = p.stat(dir);
  const user = p.user().name;
  if (!info) {
    return fail(
      'storage dir',
      tr('doctor.storage.missing', { dir }),
      `sudo install -d -o siaga -g siaga -m 0750 ${dir}`,
    );
  }
  if (info.kind !== 'dir') {
    return fail(
      'storage dir',
      tr('doctor.storage.not_dir', { dir, mode: modeString(info) }),
      tr('doctor.storage.not_dir_fix', { example: `${UNIT_DATA_DIR}/siaga.db` }),
    );
  }
  if (!p.access(dir, 'w')) {
    return fail(
      'storage dir',
      tr('doctor.storage.not_writable', { dir, mode: modeString(info), owner: owner(info, p), user }),
      `sudo chown siaga:siaga ${dir} && sudo chmod 0750 ${dir}` +
        (user !== 'siaga' ? tr('doctor.storage.as_gateway_user') : ''),
    );
  }
  if (dir !== UNIT_DATA_DIR && !dir.startsWith(`${UNIT_DATA_DIR}/`)) {
    return warn(
      'storage dir',
      tr('doctor.storage.outside_unit', { dir, unit_dir: UNIT_DATA_DIR }),
      tr('doctor.storage.outside_unit_fix', { dir, unit_dir: UNIT_DATA_DIR }),
    );
  }
  return ok('storage dir', tr('doctor.storage.ok', { dir, user }));
}

/** Free space where the database lives: WARN below 500 MB, FAIL below 50 MB. */
export function checkDisk(dbPath: string, p: Probes, tr: Translate = EN): CheckResult {
  // The directory may not exist yet: measure the nearest existing parent (same file system).
  let dir = dirname(dbPath);
  while (!p.stat(dir) && dir !== dirname(dir)) dir = dirname(dir);
  const free = p.freeMb(dir);
  if (free === undefined) return warn('disk', tr('doctor.disk.unknown', { dir }), `df -h ${dir}`);
  const fix = tr('doctor.disk.fix');
  if (free < DISK_FAIL_MB) return fail('disk', tr('doctor.disk.fail', { free, dir }), fix);
  if (free < DISK_WARN_MB) return warn('disk', tr('doctor.disk.warn', { free, dir, min: DISK_WARN_MB }), fix);
  return ok('disk', tr('doctor.disk.ok', { free, dir }));
}

/** `PRAGMA quick_check` (read-only) and the schema version against this build's migrations. */
export function checkDatabase(dbPath: string, p: Probes, tr: Translate = EN): CheckResult {
  if (!p.stat(dbPath)) return ok('database', tr('doctor.db.none', { path: dbPath }));
  const res = p.dbCheck(dbPath);
  if ('error' in res) {
    return fail(
      'database',
      tr('doctor.db.cannot_open', { path: dbPath, error: res.error }),
      tr('doctor.db.cannot_open_fix', { dir: dirname(dbPath), path: dbPath }),
    );
  }
  const known = MIGRATIONS.length;
  const problems = res.quickCheck.filter((l) => l !== 'ok');
  if (problems.length > 0) {
    const dir = dirname(dbPath);
    return fail(
      'database',
      tr('doctor.db.damaged', {
        path: dbPath,
        problems:
          problems.slice(0, 3).join('; ') +
          (problems.length > 3 ? tr('doctor.db.more', { n: problems.length - 3 }) : ''),
      }),
      `sudo systemctl stop siaga && cd ${dir} && sudo -u siaga mv siaga.db siaga.db.damaged && ` +
        `sudo -u siaga sh -c 'sqlite3 siaga.db.damaged .recover | sqlite3 siaga.db' && sudo systemctl start siaga`,
    );
  }
  if (res.schemaVersion > known) {
    return fail(
      'database',
      tr('doctor.db.newer', { version: res.schemaVersion, known }),
      tr('doctor.db.newer_fix'),
    );
  }
  const note = res.schemaVersion < known ? tr('doctor.db.migrates', { known }) : '';
  return ok('database', tr('doctor.db.ok', { path: dbPath, version: res.schemaVersion, note }));
}
