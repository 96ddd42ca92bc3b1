import { dirname } from 'node:path';
import { MIGRATIONS } from '../store/schema.js';
import { type CheckResult, fail, modeString, ok, owner, type Probes, warn } from './types.js';

export const DISK_WARN_MB = 500;
export const DISK_FAIL_MB = 50;
/** The only place the systemd unit lets the gateway write (ProtectSystem=strict). */
export const UNIT_DATA_DIR = '/var/lib/siaga';

/** The database's directory exists, is a directory, and this user may write in it. */
export function checkStorageDir(dbPath: string, p: Probes): CheckResult {
  const dir = dirname(dbPath);
  const info = p.stat(dir);
  const user = p.user().name;
  if (!info) {
    return fail(
      'storage dir',
      `${dir} (from storage.path) does not exist`,
      `sudo install -d -o siaga -g siaga -m 0750 ${dir}`,
    );
  }
  if (info.kind !== 'dir') {
    return fail(
      'storage dir',
      `${dir} is not a directory (${modeString(info)})`,
      `set storage.path to a file in a directory, e.g. \`path: ${UNIT_DATA_DIR}/siaga.db\``,
    );
  }
  if (!p.access(dir, 'w')) {
    return fail(
      'storage dir',
      `${dir} is ${modeString(info)} ${owner(info, p)}; user ${user} may not write in it`,
      `sudo chown siaga:siaga ${dir} && sudo chmod 0750 ${dir}` +
        (user !== 'siaga' ? ' (to check as the gateway user: sudo -u siaga siaga doctor)' : ''),
    );
  }
  if (dir !== UNIT_DATA_DIR && !dir.startsWith(`${UNIT_DATA_DIR}/`)) {
    return warn(
      'storage dir',
      `${dir} is writable, but the systemd unit only lets the gateway write under ${UNIT_DATA_DIR}`,
      `use \`path: ${UNIT_DATA_DIR}/siaga.db\`, or allow it: sudo systemctl edit siaga → [Service] ReadWritePaths=${dir}`,
    );
  }
  return ok('storage dir', `${dir} is writable by ${user}`);
}

/** Free space where the database lives: WARN below 500 MB, FAIL below 50 MB. */
export function checkDisk(dbPath: string, p: Probes): CheckResult {
  // The directory may not exist yet: measure the nearest existing parent (same file system).
  let dir = dirname(dbPath);
  while (!p.stat(dir) && dir !== dirname(dir)) dir = dirname(dir);
  const free = p.freeMb(dir);
  if (free === undefined) return warn('disk', `cannot measure free space at ${dir}`, `df -h ${dir}`);
  const fix =
    `see what uses it: sudo du -xh -d1 / | sort -h | tail; sudo journalctl --vacuum-size=50M; ` +
    'or lower storage.max_db_mb / storage.retention_days';
  if (free < DISK_FAIL_MB) return fail('disk', `only ${free} MB free at ${dir}`, fix);
  if (free < DISK_WARN_MB) return warn('disk', `${free} MB free at ${dir} (below ${DISK_WARN_MB} MB)`, fix);
  return ok('disk', `${free} MB free at ${dir}`);
}

/** `PRAGMA quick_check` (read-only) and the schema version against this build's migrations. */
export function checkDatabase(dbPath: string, p: Probes): CheckResult {
  if (!p.stat(dbPath)) return ok('database', `no database at ${dbPath} yet; siaga run creates it`);
  const res = p.dbCheck(dbPath);
  if ('error' in res) {
    return fail(
      'database',
      `cannot open ${dbPath} read-only: ${res.error}`,
      `check owner and mode: ls -l ${dirname(dbPath)}; the gateway user must own it: sudo chown siaga:siaga ${dbPath}*`,
    );
  }
  const known = MIGRATIONS.length;
  const problems = res.quickCheck.filter((l) => l !== 'ok');
  if (problems.length > 0) {
    const dir = dirname(dbPath);
    return fail(
      'database',
      `${dbPath} is damaged: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (+${problems.length - 3} more)` : ''}`,
      `sudo systemctl stop siaga && cd ${dir} && sudo -u siaga mv siaga.db siaga.db.damaged && ` +
        `sudo -u siaga sh -c 'sqlite3 siaga.db.damaged .recover | sqlite3 siaga.db' && sudo systemctl start siaga`,
    );
  }
  if (res.schemaVersion > known) {
    return fail(
      'database',
      `schema version ${res.schemaVersion} is newer than this siaga (${known})`,
      'install the newer siaga again (sudo bash scripts/install-pi.sh from its folder), or restore a matching database',
    );
  }
  const note = res.schemaVersion < known ? `; migrates to ${known} at next start` : '';
  return ok('database', `${dbPath}: quick_check ok, schema version ${res.schemaVersion}${note}`);
}
