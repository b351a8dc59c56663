import type { FastifyError, FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { ApiError } from '../../shared/protocol/agent-api.js';
import { StoreError } from '../store/errors.js';

/** An error a route means to send: status, stable code and a message a person can act on. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly extra: Partial<ApiError> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Validates `value` against `schema`, or throws a 400 that names the first problems. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what = 'request body'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
  throw new HttpError(400, 'invalid_request', `Invalid ${what}: ${problems}`.slice(0, 2000));
}

const FASTIFY_CODES: Record<string, [number, string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body_too_large', 'Request body too large (after decompression).'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type', 'Send application/json.'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid_content_length', 'Content-Length does not match the body.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_json', 'Empty JSON body.'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid_json', 'The body is not valid JSON.'],
  FST_ERR_CTP_EMPTY_TYPE: [415, 'unsupported_media_type', 'Send a Content-Type.'],
  FST_ERR_CTP_INVALID_TYPE: [415, 'unsupported_media_type', 'Send a valid Content-Type.'],
  // zlib errors from a corrupt gzip body (see decompress.ts).
  Z_DATA_ERROR: [400, 'invalid_gzip', 'The gzip body is corrupt.'],
  Z_BUF_ERROR: [400, 'invalid_gzip', 'The gzip body is truncated.'],
};

/**
 * One error handler for the whole server: every error becomes an ApiError JSON body; client
 * errors keep their meaning, and a 5xx never leaks internals (it is logged, not sent).
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    if (error instanceof HttpError) {
      const body: ApiError = { error: error.code, message: error.message, ...error.extra };
      return reply.status(error.statusCode).send(body);
    }
    if (error instanceof StoreError) {
      // A conflict or an unknown thing is the client's business; a database that is down is a
      // 503 to retry; anything else is logged and never shown.
      const known: Partial<Record<StoreError['code'], [number, string]>> = {
        not_found: [404, 'not_found'],
        conflict: [409, 'conflict'],
        invalid_input: [400, 'invalid_request'],
      };
      const hit = known[error.code];
      if (hit) return reply.status(hit[0]).send({ error: hit[1], message: error.message } satisfies ApiError);
      request.log.error({ err: error }, 'store failed');
      if (error.code === 'unavailable') {
        reply.header('retry-after', '30');
        return reply.status(503).send({ error: 'unavailable', message: 'The database is not available; retry later.' } satisfies ApiError);
      }
      return reply.status(500).send({ error: 'internal', message: 'Internal error; see the collector log.' } satisfies ApiError);
    }
    const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (mapped) return reply.status(mapped[0]).send({ error: mapped[1], message: mapped[2] } satisfies ApiError);
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status === 429) {
      return reply.status(429).send({ error: 'rate_limited', message: 'Too many requests; retry later.' } satisfies ApiError);
    }
    if (status >= 400 && status < 500) {
      // Syntax errors from JSON.parse carry a 400 status; say so without echoing internals.
      const code = error instanceof SyntaxError ? 'invalid_json' : 'bad_request';
      const message = error instanceof SyntaxError ? 'The body is not valid JSON.' : 'Bad request.';
      return reply.status(status).send({ error: code, message } satisfies ApiError);
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({ error: 'internal', message: 'Internal error; see the collector log.' } satisfies ApiError);
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).send({ error: 'not_found', message: 'No such route.' } satisfies ApiError),
  );
}
