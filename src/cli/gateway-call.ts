import { call, follow } from '../control/client.js';
import { UnavailableError } from '../domain/index.js';
import type { MessageId, Translate } from '../i18n/index.js';
import { t } from './io.js';

/**
 * The control client (shared with the gateway, English only) says why it reached no gateway with a
 * reason code; the CLI says that reason in the user's language. An error without one stays as it was.
 */
const REASONS: Record<NonNullable<UnavailableError['reason']>, MessageId> = {
  no_access: 'gateway.no_access',
  not_running: 'gateway.not_running',
  closed: 'gateway.closed',
  no_answer: 'gateway.no_answer',
};

export function localised(
  e: unknown,
  socket: string,
  method: string,
  timeoutS: number,
  tr: Translate = t,
): unknown {
  if (!(e instanceof UnavailableError) || e.reason === undefined) return e;
  return new UnavailableError(tr(REASONS[e.reason], { socket, method, s: timeoutS }), e.reason);
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
