import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { CLI } from './gateway-process.js';

export interface Ended {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `siaga <args>` (built dist/) until it exits by itself. `boundMs` is generous: it catches a
 * process that never ends (a failed start that kept running), it does not measure time.
 */
export function runUntilExit(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; stdoutFd?: number; boundMs?: number } = {},
): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      stdio: ['ignore', opts.stdoutFd ?? 'pipe', 'pipe'],
      // Not under systemd unless a test says so.
      env: { ...process.env, JOURNAL_STREAM: '', LANG: 'C', LC_ALL: '', LC_MESSAGES: '', ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`siaga ${args.join(' ')} did not exit\nstderr: ${stderr}\nstdout: ${stdout.slice(-2000)}`),
      );
    }, opts.boundMs ?? 20_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A one-zone, one-print-siren gateway config (no `log:` section) plus `extra` YAML. */
export function gatewayYaml(dir: string, extra = ''): string {
  return `
gateway: {id: gw-life, site: {name: Desa, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}}
storage: {path: ${join(dir, 'siaga.db')}}
nodes:
  - {id: pir-07, type: pir, zone: z-braja}
zones: [{id: z-braja, name: Braja, sirens: [s-1]}]
sirens: [{id: s-1, driver: print}]
${extra}
`;
}

/** `gatewayYaml` at log level info, written to `dir/siaga.yaml`; returns its path. */
export function writeGatewayConfig(dir: string, extra = ''): string {
  const file = join(dir, 'siaga.yaml');
  writeFileSync(file, `${gatewayYaml(dir, extra)}log: {level: info}\n`);
  return file;
}

/** A raw control-socket client: write request lines, read the parsed answer lines as they come. */
export function rawControlClient(path: string): Promise<{ sock: Socket; lines: Record<string, unknown>[] }> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    const lines: Record<string, unknown>[] = [];
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
      }
    });
    sock.once('connect', () => resolve({ sock, lines }));
    sock.once('error', reject);
  });
}
