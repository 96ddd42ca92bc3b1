import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * Suites that need Mosquitto, socat, gammu-smsd or xmllint skip themselves when those are missing; this names them
 * loudly at the end of the run. With SIAGA_REQUIRE_EXTERNAL=1 (CI) a missing tool fails the run.
 *
 * Every run gets its own parent temp dir (TMPDIR, inherited by the test workers and every process
 * they spawn), removed whole at the end: a concurrent run's dirs are never touched.
 */
function onPath(bin: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin'];
  return dirs.some((d) => d && existsSync(join(d, bin)));
}

/** The programs real-thing suites need, and the Debian packages that bring them. */
const PACKAGES: Record<string, string> = {
  mosquitto: 'mosquitto',
  socat: 'socat',
  'gammu-smsd': 'gammu gammu-smsd',
  xmllint: 'libxml2-utils',
  chromium: 'chromium',
};

export default function setup(): () => void {
  const runDir = mkdtempSync(join(tmpdir(), 'siaga-run-'));
  process.env.TMPDIR = runDir;
  const missing = Object.keys(PACKAGES).filter((b) => !onPath(b));
  const install = missing.map((b) => PACKAGES[b]).join(' ');
  if (missing.length > 0 && process.env.SIAGA_REQUIRE_EXTERNAL === '1') {
    throw new Error(`CI needs ${missing.join(' and ')}: apt-get install -y ${install}`);
  }
  return () => {
    rmSync(runDir, { recursive: true, force: true });
    if (missing.length > 0) {
      process.stderr.write(
        `\n!!! SKIPPED the suites that need ${missing.join(' and ')} (real broker, serial ptys, SMS daemon, ` +
          `CAP schema validation, the village screen in a browser). Install with: sudo apt-get install -y ${install}\n\n`,
      );
    }
  };
}
