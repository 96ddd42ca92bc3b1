import { outboxBacklog, spoolProblems } from '../../drivers/sms/gammu-spool-check.js';
import type { Config } from '../config/schema.js';
import { EN, type Translate } from '../i18n/index.js';
import { type CheckResult, fail, ok, type Probes, warn } from './types.js';

/** gammu-smsd takes a message within seconds while it runs; older than this, it is not taking them. */
const STUCK_MS = 2 * 60_000;

/**
 * Alerts by SMS: gammu-smsd installed, its FILES spool there with the access siaga needs, and no
 * message of ours waiting in outbox/ for minutes (a stopped daemon or a missing modem).
 */
export async function checkSmsSpool(config: Config, p: Probes, tr: Translate = EN): Promise<CheckResult[]> {
  const { alerts } = config;
  if (!alerts.enabled || alerts.sms.driver !== 'gammu-smsd') return [];
  const spool = alerts.sms.spool;
  const results: CheckResult[] = [];
  if (!p.which('gammu-smsd'))
    results.push(fail('gammu-smsd', tr('doctor.sms.no_daemon'), tr('doctor.sms.no_daemon_fix')));
  const problems = await spoolProblems(spool);
  if (problems.length > 0) {
    results.push(
      fail(
        'sms spool',
        tr('doctor.sms.spool_bad', { spool, problems: problems.join('; ') }),
        tr('doctor.sms.spool_fix', { spool }),
      ),
    );
    return results;
  }
  const backlog = await outboxBacklog(spool);
  const age = backlog.oldestAt === undefined ? 0 : p.now() - backlog.oldestAt;
  if (backlog.waiting > 0 && age > STUCK_MS) {
    results.push(
      warn(
        'sms spool',
        tr('doctor.sms.stuck', { n: backlog.waiting, min: Math.round(age / 60_000), spool }),
        tr('doctor.sms.stuck_fix'),
      ),
    );
  } else results.push(ok('sms spool', tr('doctor.sms.ok', { spool, n: backlog.waiting })));
  return results;
}
