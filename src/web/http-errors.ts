import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { isSiagaError } from '../domain/index.js';

/**
 * Every refusal the page's API gives is JSON `{error, code, field?}`: `error` in words for a person,
 * `code` for the page (which says it in the reader's language), `field` naming the bad parameter.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badParam = (field: string, message: string) =>
  new HttpError(400, 'bad_param', `${field}: ${message}`, field);

/** The field a fastify schema error is about: `querystring/limit must be <= 5000` → `limit`. */
function fieldOf(e: FastifyError): string | undefined {
  const v = e.validation?.[0];
  if (!v) return undefined;
  const params = v.params as { missingProperty?: unknown; additionalProperty?: unknown } | undefined;
  const named = params?.missingProperty ?? params?.additionalProperty;
  if (typeof named === 'string') return named;
  const path = v.instancePath.replace(/^\//, '').split('/')[0];
  return path || undefined;
}

export function errorHandler(log: Logger) {
  return (e: FastifyError | HttpError | Error, req: FastifyRequest, reply: FastifyReply) => {
    if (e instanceof HttpError) {
      return reply
        .code(e.status)
        .send({ error: e.message, code: e.code, ...(e.field ? { field: e.field } : {}) });
    }
    const fe = e as FastifyError;
    if (fe.validation) {
      const field = fieldOf(fe);
      return reply.code(400).send({ error: fe.message, code: 'bad_param', ...(field ? { field } : {}) });
    }
    if (isSiagaError(e)) {
      // Refusals a person can act on (a siren out of on-time, an unknown incident code, a bad time).
      const status = e.code === 'usage' ? 400 : 409;
      return reply.code(status).send({ error: e.message, code: e.code });
    }
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.code(fe.statusCode).send({ error: fe.message, code: fe.code ?? 'bad_request' });
    }
    log.warn({ err: e, url: req.url }, 'web request failed');
    return reply.code(500).send({ error: 'internal error', code: 'internal' });
  };
}
