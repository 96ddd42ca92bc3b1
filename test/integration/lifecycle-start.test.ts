import { spawn } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/broker/password.js';
import { tmpDir } from '../helpers/gateway.js';
import { CLI } from '../helpers/gateway-process.js';

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Spawns `siaga run` and waits for it to end by itself. The bound is generous (a failed start
 * must end; before the fix it never did): this is not a timing assertion.
 */
function runUntilExit(file: string, boundMs = 20_000): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '-c', file, 'run'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `siaga run did not exit after a failed start\nstderr: ${stderr}\nstdout: ${stdout.slice(-2000)}`,
        ),
      );
    }, boundMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function config(dir: string, extra: string): string {
  const file = join(dir, 'siaga.yaml');
  writeFileSync(
    file,
    `
gateway: {id: gw-life, site: {name: Desa, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}}
storage: {path: ${join(dir, 'siaga.db')}}
nodes:
  - {id: pir-07, type: pir, zone: z-braja}
zones: [{id: z-braja, name: Braja, sirens: [s-1]}]
sirens: [{id: s-1, driver: print}]
log: {level: info}
${extra}
`,
  );
  return file;
}

const holders: (UdpSocket | Server)[] = [];
afterEach(() => {
  for (const h of holders.splice(0)) h.close();
});

function holdUdp(): Promise<number> {
  const s = createSocket('udp4');
  holders.push(s);
  return new Promise((resolve) => s.bind(0, '127.0.0.1', () => resolve(s.address().port)));
}

function holdTcp(): Promise<number> {
  const s = createServer();
  holders.push(s);
  return new Promise((resolve) =>
    s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)),
  );
}

/** A port free right now (the config refuses port 0). */
async function freeTcpPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}

let users = '';
beforeAll(async () => {
  users = `[{username: tech, password_hash: "${await hashPassword('rahasia-uji')}", role: viewer}]`;
});

function brokerAt(port: number): string {
  return `local_broker: {enabled: true, host: 127.0.0.1, port: ${port}, users: ${users}}`;
}

/** The local broker starts first, so the rollback has something real to undo. */
async function broker(): Promise<string> {
  return brokerAt(await freeTcpPort());
}

function expectOneSentence(r: Ended, sentence: string): void {
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`siaga: ${sentence}\n`);
  // One sentence for a person, not a stack trace.
  expect(r.stderr).not.toMatch(/^\s+at /m);
  // The rollback switched the sirens OFF again (once at safe start, once undoing it).
  expect(r.stdout.match(/siren s-1 off/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
}

describe('a failed start ends (issue 11 item 2)', () => {
  it('exits 1 naming the GWMP UDP port that is taken, after rolling back what had started', async () => {
    const dir = tmpDir();
    const port = await holdUdp();
    const file = config(
      dir,
      `${await broker()}
lora:
  gwmp: {host: 127.0.0.1, port: ${port}}
  devices: [{node: pir-07, dev_addr: "26011BDA", nwk_s_key: "2b7e151628aed2a6abf7158809cf4f3c", app_s_key: "000102030405060708090a0b0c0d0e0f", codec: lpp}]`,
    );
    const r = await runUntilExit(file);
    expectOneSentence(
      r,
      `udp/${port} (lora.gwmp.port) is already in use by another process; stop it or choose another port`,
    );
  });

  it('exits 1 naming the local broker TCP port that is taken', async () => {
    const dir = tmpDir();
    const port = await holdTcp();
    const file = config(dir, brokerAt(port));
    const r = await runUntilExit(file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `siaga: tcp/${port} (local_broker.port) is already in use by another process; stop it or choose another port\n`,
    );
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('exits 1 naming a control socket directory that does not exist', async () => {
    const dir = tmpDir();
    const missing = join(dir, 'run', 'siaga');
    const file = config(dir, `${await broker()}\ncontrol: {socket: ${join(missing, 'siaga.sock')}}`);
    const r = await runUntilExit(file);
    expectOneSentence(
      r,
      `control socket ${join(missing, 'siaga.sock')} (control.socket): directory ${missing} does not exist; create it (sudo install -d -o siaga -g siaga ${missing}) or choose another path`,
    );
  });
});
