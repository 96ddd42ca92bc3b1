/**
 * The control socket speaks newline-delimited JSON: one request per line, one response per line
 * with the same id. `tail` answers with a stream of `{"stream":…}` lines until the client hangs up;
 * when the client reads too slowly the gateway drops items and says so with `{"missed":N}` once
 * it can write again (a paused `siaga tail` must not make the gateway buffer without bound).
 */
export interface ControlRequest {
  id: number;
  method: string;
  params?: Record<string, unknown>;
}

export type ControlResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string; code?: number }
  | { id: number; stream: unknown }
  | { id: number; missed: number };

/** Longest request line accepted; the CLI's requests are tiny. */
export const MAX_REQUEST_BYTES = 64 * 1024;

/**
 * Bytes a stream client may have waiting in the gateway before items are dropped for it: a few
 * thousand readings, enough for a burst, small next to the Pi's 80 MB budget.
 */
export const MAX_STREAM_BUFFER_BYTES = 1024 * 1024;

export function socketPathFor(storagePath: string, explicit?: string): string {
  if (explicit) return explicit;
  const i = storagePath.lastIndexOf('/');
  return `${i >= 0 ? storagePath.slice(0, i) : '.'}/siaga.sock`;
}
