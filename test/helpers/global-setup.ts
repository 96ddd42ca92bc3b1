import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * Suites that need Mosquitto or socat skip themselves when those are missing; this names them
 * loudly at the end of the run. With SIAGA_REQUIRE_EXTERNAL=1 (CI) a missing tool fails the run.
 * At the end it also removes the temp dirs the tests made (tmpDir() in test/helpers/gateway.ts).
 */
function onPath(bin: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin'];
  return dirs.some((d) => d && existsSync(join(d, bin)));
}

function removeTestDirs(since: number): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith('siaga-')) continue;
    const path = join(tmpdir(), name);
    try {
      if (statSync(path).mtimeMs >= since) rmSync(path, { recursive: true, force: true });
    } catch {
      // already gone, or another run's: leave it
    }
  }
}

export default function setup(): () => void {
  const started = Date.now() - 1000;
  const missing = ['mosquitto', 'socat'].filter((b) => !onPath(b));
  if (missing.length > 0 && process.env.SIAGA_REQUIRE_EXTERNAL === '1') {
    throw new Error(`CI needs ${missing.join(' and ')}: apt-get install -y ${missing.join(' ')}`);
  }
  return () => {
    removeTestDirs(started);
    if (missing.length > 0) {
      process.stderr.write(
        `\n!!! SKIPPED the suites that need ${missing.join(' and ')} (real broker / serial ptys). ` +
          `Install with: sudo apt-get install -y ${missing.join(' ')}\n\n`,
      );
    }
  };
}
