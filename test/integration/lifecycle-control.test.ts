import { createConnection } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/gateway.js';
import { GatewayProcess, killAllGatewayProcesses } from '../helpers/gateway-process.js';
import { until } from '../helpers/wait.js';

function yaml(dir: string): string {
  return `
gateway: {id: gw-ctl, site: {name: Desa, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}}
storage: {path: ${join(dir, 'siaga.db')}}
nodes:
  - {id: pir-07, type: pir, zone: z-braja}
zones: [{id: z-braja, name: Braja, sirens: [s-1]}]
sirens: [{id: s-1, driver: print}]
`;
}

describe('the control socket of a running gateway (issue 11 item 1)', () => {
  afterEach(() => killAllGatewayProcesses());

  it('refuses __proto__ and constructor as unknown methods and keeps running', async () => {
    const dir = tmpDir();
    const gw = await GatewayProcess.start({ dir, yaml: yaml(dir) });
    const sock = createConnection(join(dir, 'siaga.sock'));
    const lines: Record<string, unknown>[] = [];
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (c: string) => {
      buf += c;
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
      }
    });
    await new Promise((resolve) => sock.once('connect', resolve));
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
