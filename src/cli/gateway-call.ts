import { call, follow } from '../control/client.js';
import { UnavailableError } from '../domain/index.js';
import type { MessageId, Translate } from '../i18n/index.js';
import { t } from './io.js';

/**
 * The control client (shared with the gateway, English only) says why it reached no gateway in
 * a fixed English sentence; the CLI repeats that reason in the user's language. An unrecognised
 * reason stays as it was rather than be guessed.
 */
const REASONS: [RegExp, MessageId][] = [
  [/^you may not use /, 'gateway.no_access'],
  [/^the gateway is not running /, 'gateway.not_running'],
  [/^the gateway closed the control connection/, 'gateway.closed'],
  [/^the gateway did not answer /, 'gateway.no_answer'],
];

export function localised(
  e: unknown,
  socket: string,
  method: string,
  timeoutS: number,
  tr: Translate = t,
): unknown {
  if (!(e instanceof UnavailableError)) return e;
  const reason = REASONS.find(([re]) => re.test(e.message));
  return reason ? new UnavailableError(tr(reason[1], { socket, method, s: timeoutS })) : e;
}

/** `call` with its "no gateway" errors in the user's language. */
export async function callGateway<T = unknown>(
  socket: string,
  method: string,
  params: Record<string, unknown> = {},
  timeoutMs = 10_000,
): Promise<T> {
  try {
    return await call<T>(socket, method, params, timeoutMs);
  } catch (e) {
    throw localised(e, socket, method, timeoutMs / 1000);
  }
}

/** `follow` with its "no gateway" errors in the user's language. */
export async function followGateway(...args: Parameters<typeof follow>): Promise<void> {
  try {
    await follow(...args);
  } catch (e) {
    throw localised(e, args[0], args[1], 0);
  }
}
