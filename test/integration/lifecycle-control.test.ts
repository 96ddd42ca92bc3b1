import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayYaml, rawControlClient } from '../helpers/cli-exit.js';
import { tmpDir } from '../helpers/gateway.js';
import { GatewayProcess, killAllGatewayProcesses } from '../helpers/gateway-process.js';
import { until } from '../helpers/wait.js';

describe('the control socket of a running gateway (issue 11 item 1)', () => {
  afterEach(() => killAllGatewayProcesses());

  it('refuses __proto__ and constructor as unknown methods and keeps running', async () => {
    const dir = tmpDir();
    const gw = await GatewayProcess.start({ dir, yaml: gatewayYaml(dir) });
    const { sock, lines } = await rawControlClient(join(dir, 'siaga.sock'));
    sock.write(`${JSON.stringify({ id: 1, method: '__proto__' })}\n`);
    sock.write(`${JSON.stringify({ id: 2, method: 'constructor' })}\n`);
    sock.write(`${JSON.stringify({ id: 3, method: 'status' })}\n`);
    await until('three answers', () => lines.length >= 3);
    expect(lines.find((l) => l.id === 1)).toEqual({ id: 1, ok: false, error: 'unknown method __proto__' });
    expect(lines.find((l) => l.id === 2)).toEqual({ id: 2, ok: false, error: 'unknown method constructor' });
    expect(lines.find((l) => l.id === 3)).toMatchObject({ id: 3, ok: true });
    sock.destroy();
    expect(gw.exitStatus).toBeUndefined();
    expect(await gw.stop()).toEqual({ code: 0, signal: null });
  });
});
