import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/broker/password.js';
import { type Ended, runUntilExit, writeGatewayConfig } from '../helpers/cli-exit.js';
import { tmpDir } from '../helpers/gateway.js';

function runGateway(file: string): Promise<Ended> {
  return runUntilExit(['-c', file, 'run']);
}

function config(dir: string, extra: string): string {
  return writeGatewayConfig(dir, extra);
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
    const r = await runGateway(file);
    expectOneSentence(
      r,
      `udp/${port} (lora.gwmp.port) is already in use by another process; stop it or choose another port`,
    );
  });

  it('exits 1 naming the local broker TCP port that is taken', async () => {
    const dir = tmpDir();
    const port = await holdTcp();
    const file = config(dir, brokerAt(port));
    const r = await runGateway(file);
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
    const r = await runGateway(file);
    expectOneSentence(
      r,
      `control socket ${join(missing, 'siaga.sock')} (control.socket): directory ${missing} does not exist; create it (sudo install -d -o siaga -g siaga ${missing}) or choose another path`,
    );
  });
});
