import { DeliveryError } from '../domain/index.js';
import { errorMessage } from '../util/errors.js';
import { type RemoteRequest, serverMessage } from './earthranger-payload.js';

export interface ExchangeOptions {
  fetch: typeof fetch;
  /** One request's limit, answer included. */
  timeoutMs: number;
  /** The longest a server's Retry-After is honoured. */
  maxMs: number;
  /** Requests in flight, so a stop can abort them. */
  aborts: Set<AbortController>;
}

/**
 * One HTTP exchange with EarthRanger / Gundi: resolves with the parsed answer of a 2xx, throws a
 * DeliveryError that says what the server meant otherwise (401/403 token_refused; 408/429/5xx,
 * a timeout or no connection unavailable, with the Retry-After; any other 4xx refused).
 */
export async function exchange(r: RemoteRequest, url: string, o: ExchangeOptions): Promise<unknown> {
  const ac = new AbortController();
  o.aborts.add(ac);
  const timer = setTimeout(
    () => ac.abort(new DeliveryError('timeout', `no answer from ${hostOf(url)} within ${o.timeoutMs} ms`)),
    o.timeoutMs,
  );
  try {
    const res = await o.fetch(r.url, {
      method: r.method,
      headers: r.headers,
      body: r.body,
      signal: ac.signal,
    });
    const text = await res.text();
    if (res.ok) {
      try {
        return text ? (JSON.parse(text) as unknown) : undefined;
      } catch {
        return undefined;
      }
    }
    const said = serverMessage(res.status, text);
    if (res.status === 401 || res.status === 403) throw new DeliveryError('token_refused', said, res.status);
    if (res.status === 408 || res.status === 429 || res.status >= 500) {
      const after = Number(res.headers.get('retry-after'));
      const cause = {
        retryAfterMs: Number.isFinite(after) && after > 0 ? Math.min(after * 1000, o.maxMs) : 0,
      };
      throw new DeliveryError('unavailable', said, res.status, { cause });
    }
    throw new DeliveryError('refused', said, res.status);
  } catch (err) {
    if (err instanceof DeliveryError) throw err;
    if (ac.signal.aborted && ac.signal.reason instanceof DeliveryError) throw ac.signal.reason;
    throw new DeliveryError('unavailable', `cannot reach ${hostOf(url)}: ${networkWords(err)}`, undefined, {
      cause: err,
    });
  } finally {
    clearTimeout(timer);
    o.aborts.delete(ac);
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** fetch hides the reason in `cause` (ECONNREFUSED, a certificate it does not trust). */
function networkWords(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? errorMessage(err);
}
