import { createConnection, type Socket } from 'node:net';
import { RemoteError, UnavailableError } from '../domain/index.js';
import type { ControlResponse } from './protocol.js';

function connect(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    sock.once('connect', () => resolve(sock));
    sock.once('error', (e: NodeJS.ErrnoException) => {
      const why =
        e.code === 'EACCES'
          ? `you may not use ${path}; run as root or add yourself to group siaga (sudo usermod -aG siaga $USER)`
          : `the gateway is not running (no answer on ${path}); start it with: sudo systemctl start siaga`;
      reject(new UnavailableError(why, e.code === 'EACCES' ? 'no_access' : 'not_running'));
    });
  });
}

/** Whether a gateway answers on the socket (it accepts a connection); never throws. */
export async function gatewayRunning(path: string): Promise<boolean> {
  try {
    (await connect(path)).destroy();
    return true;
  } catch {
    return false;
  }
}

/** One request, one answer, over the control socket. Throws UnavailableError (exit 69) when no gateway runs. */
export async function call<T = unknown>(
  path: string,
  method: string,
  params: Record<string, unknown> = {},
  timeoutMs = 10_000,
): Promise<T> {
  const sock = await connect(path);
  return new Promise<T>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(
        new UnavailableError(
          `the gateway did not answer ${method} within ${timeoutMs / 1000} s; check: journalctl -u siaga`,
          'no_answer',
        ),
      );
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      sock.destroy();
      const res = JSON.parse(buf.slice(0, nl)) as ControlResponse;
      if ('stream' in res || 'missed' in res) reject(new RemoteError('unexpected stream'));
      else if (res.ok) resolve(res.result as T);
      else reject(new RemoteError(res.error, res.code));
    });
    sock.on('close', () => {
      clearTimeout(timer);
      reject(
        new UnavailableError('the gateway closed the control connection; is it shutting down?', 'closed'),
      );
    });
    sock.write(`${JSON.stringify({ id: 1, method, params })}\n`);
  });
}

/**
 * Follows a stream (tail) until the gateway stops or `signal` aborts. `onMissed` hears how many
 * items the gateway dropped because this client read too slowly.
 */
export async function follow(
  path: string,
  method: string,
  params: Record<string, unknown>,
  onItem: (item: unknown) => void,
  signal?: AbortSignal,
  onMissed?: (n: number) => void,
): Promise<void> {
  const sock = await connect(path);
  await new Promise<void>((resolve) => {
    let buf = '';
    signal?.addEventListener('abort', () => sock.destroy());
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const res = JSON.parse(buf.slice(0, nl)) as ControlResponse;
        buf = buf.slice(nl + 1);
        if ('stream' in res) onItem(res.stream);
        else if ('missed' in res) onMissed?.(res.missed);
        nl = buf.indexOf('\n');
      }
    });
    sock.on('close', () => resolve());
    sock.on('error', () => resolve());
    sock.write(`${JSON.stringify({ id: 1, method, params })}\n`);
  });
}
