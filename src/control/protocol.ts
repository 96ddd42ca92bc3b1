/**
 * The control socket speaks newline-delimited JSON: one request per line, one response per line
 * with the same id. `tail` answers with a stream of `{"stream":…}` lines until the client hangs up.
 */
export interface ControlRequest {
  id: number;
  method: string;
  params?: Record<string, unknown>;
}

export type ControlResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string; code?: number }
  | { id: number; stream: unknown };

/** Longest request line accepted; the CLI's requests are tiny. */
export const MAX_REQUEST_BYTES = 64 * 1024;

export function socketPathFor(storagePath: string, explicit?: string): string {
  if (explicit) return explicit;
  const i = storagePath.lastIndexOf('/');
  return `${i >= 0 ? storagePath.slice(0, i) : '.'}/siaga.sock`;
}
