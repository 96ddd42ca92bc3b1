import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isOurs, SPOOL_FOLDERS } from './gammu-names.js';

/** What siaga needs of each spool folder: it writes outbox/, reads sent/ error/, empties inbox/. */
const NEEDS: Record<(typeof SPOOL_FOLDERS)[number], number> = {
  inbox: constants.R_OK | constants.W_OK | constants.X_OK,
  outbox: constants.R_OK | constants.W_OK | constants.X_OK,
  sent: constants.R_OK | constants.X_OK,
  error: constants.R_OK | constants.X_OK,
};

/**
 * Why siaga cannot use the gammu-smsd spool at `spool`, one sentence per problem (for `doctor`),
 * or nothing when all four folders are there with the access siaga needs.
 */
export async function spoolProblems(spool: string): Promise<string[]> {
  const problems: string[] = [];
  for (const folder of SPOOL_FOLDERS) {
    const path = join(spool, folder);
    const kind = await stat(path).then(
      (s) => (s.isDirectory() ? 'folder' : 'other'),
      () => 'none',
    );
    if (kind === 'none') {
      problems.push(
        `${path} does not exist: create it, or point alerts.sms.spool at gammu-smsd's FILES spool`,
      );
      continue;
    }
    if (kind === 'other') {
      problems.push(`${path} is not a folder`);
      continue;
    }
    const ok = await access(path, NEEDS[folder]).then(
      () => true,
      () => false,
    );
    if (!ok) {
      const what = NEEDS[folder] & constants.W_OK ? 'read and write' : 'read';
      problems.push(`siaga may not ${what} ${path}: add the siaga user to gammu-smsd's group`);
    }
  }
  return problems;
}

export interface OutboxBacklog {
  /** siaga's messages gammu-smsd has not yet taken */
  waiting: number;
  /** epoch ms (file time) of the oldest of them */
  oldestAt?: number;
}

/**
 * siaga's messages still in outbox/. gammu-smsd takes a message within seconds while it runs, so a
 * backlog that only grows says the daemon is stopped or the modem gone, long before anyone
 * notices that no SMS arrived.
 */
export async function outboxBacklog(spool: string): Promise<OutboxBacklog> {
  const outbox = join(spool, 'outbox');
  let waiting = 0;
  let oldestAt: number | undefined;
  for (const name of (await readdir(outbox)).filter(isOurs)) {
    const at = await stat(join(outbox, name)).then(
      (s) => s.mtimeMs,
      () => undefined,
    );
    // taken by the daemon between the listing and the look
    if (at === undefined) continue;
    waiting++;
    oldestAt = oldestAt === undefined ? at : Math.min(oldestAt, at);
  }
  return oldestAt === undefined ? { waiting } : { waiting, oldestAt };
}
