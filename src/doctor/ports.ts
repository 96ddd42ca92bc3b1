import { type CheckResult, fail, ok, type Probes, warn } from './types.js';

export interface PortCheck {
  name: string;
  proto: 'udp' | 'tcp';
  host: string;
  port: number;
  /** The port the running gateway has bound for this service, if it runs and serves it. */
  ours: number | undefined;
  gatewayRunning: boolean;
  /** Config key of the port, e.g. `lora.gwmp.port`. */
  key: string;
  /** Who usually holds this port when it is not us, for the fix text. */
  usual: string;
}

/**
 * A port the gateway listens on: free (fine: it will bind it), held by our running gateway (fine),
 * or held by something else (FAIL with the `ss` command that names the program).
 */
export async function checkListenPort(c: PortCheck, p: Probes): Promise<CheckResult> {
  const what = `${c.proto.toUpperCase()} ${c.host}:${c.port}`;
  const res = c.proto === 'udp' ? await p.udpBind(c.host, c.port) : await p.tcpListen(c.host, c.port);
  if (res.state === 'in_use') {
    if (c.ours === c.port) return ok(c.name, `${what} is in use by the running gateway`);
    const flag = c.proto === 'udp' ? '-ulpn' : '-tlpn';
    return fail(
      c.name,
      `${what} is held by another program${c.gatewayRunning ? ' (not our gateway)' : ''}`,
      `find it with: sudo ss ${flag} 'sport = :${c.port}' — stop it (${c.usual}), or move ours with ${c.key}: <other port>`,
    );
  }
  if (res.state === 'error') {
    if (res.code === 'EADDRNOTAVAIL' || res.code === 'ENOTFOUND' || res.code === 'EAI_AGAIN') {
      return fail(
        c.name,
        `${c.host} is not an address of this machine (${res.code})`,
        `set the host to 127.0.0.1 (same machine) or 0.0.0.0 (all interfaces); see: ip -brief addr`,
      );
    }
    if (res.code === 'EACCES') {
      return fail(c.name, `${what} needs privileges (ports below 1024)`, `use a port above 1023 in ${c.key}`);
    }
    return fail(
      c.name,
      `cannot bind ${what} (${res.code})`,
      `check ${c.key} and: sudo ss ${c.proto === 'udp' ? '-ulpn' : '-tlpn'}`,
    );
  }
  if (c.gatewayRunning && c.ours !== c.port) {
    return warn(
      c.name,
      `${what} is free, but the running gateway does not listen on it (it runs an older config?)`,
      'sudo systemctl restart siaga',
    );
  }
  return ok(c.name, `${what} is free; the gateway will listen here`);
}
