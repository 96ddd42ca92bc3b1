import { EN, type Translate } from '../i18n/index.js';
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
export async function checkListenPort(c: PortCheck, p: Probes, tr: Translate = EN): Promise<CheckResult> {
  const what = `${c.proto.toUpperCase()} ${c.host}:${c.port}`;
  const res = c.proto === 'udp' ? await p.udpBind(c.host, c.port) : await p.tcpListen(c.host, c.port);
  if (res.state === 'in_use') {
    if (c.ours === c.port) return ok(c.name, tr('doctor.port.ours', { what }));
    const flag = c.proto === 'udp' ? '-ulpn' : '-tlpn';
    return fail(
      c.name,
      tr('doctor.port.held', { what, not_ours: c.gatewayRunning ? tr('doctor.port.not_ours') : '' }),
      tr('doctor.port.held_fix', { flag, port: c.port, usual: c.usual, key: c.key }),
    );
  }
  if (res.state === 'error') {
    if (res.code === 'EADDRNOTAVAIL' || res.code === 'ENOTFOUND' || res.code === 'EAI_AGAIN') {
      return fail(
        c.name,
        tr('doctor.port.not_local', { host: c.host, code: res.code }),
        tr('doctor.port.not_local_fix'),
      );
    }
    if (res.code === 'EACCES') {
      return fail(
        c.name,
        tr('doctor.port.privileged', { what }),
        tr('doctor.port.privileged_fix', { key: c.key }),
      );
    }
    return fail(
      c.name,
      tr('doctor.port.cannot_bind', { what, code: res.code }),
      tr('doctor.port.cannot_bind_fix', { key: c.key, flag: c.proto === 'udp' ? '-ulpn' : '-tlpn' }),
    );
  }
  if (c.gatewayRunning && c.ours !== c.port) {
    return warn(c.name, tr('doctor.port.stale', { what }), 'sudo systemctl restart siaga');
  }
  return ok(c.name, tr('doctor.port.free', { what }));
}
