import { gunzip, gunzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';

// Bodies up to this many compressed bytes are inflated on the event loop: an agent's check-in
// (about 1 KiB) inflates in microseconds, less than a hop to the thread pool costs. Larger ones
// (a full inventory, an event batch) go to the thread pool.
const INLINE_BELOW_BYTES = 8 * 1024;

/**
 * JSON request bodies, plain or `Content-Encoding: gzip`. The body arrives whole (fastify counts
 * its bytes against the body limit as they come); a gzip body is then inflated in one call that
 * stops the moment the output passes the same limit (zlib's maxOutputLength), so a gzip bomb
 * costs the server no more than `limitBytes` of work before it answers 413. A one-shot inflate
 * instead of a stream pipeline: a stream per request cost a check-in more than its JSON parse.
 * The JSON itself is parsed by fastify's own parser (prototype-poisoning checks included).
 */
export function installJsonBodies(app: FastifyInstance, limitBytes: number): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: limitBytes }, (request, body, done) => {
    const parse = (text: string) => parseJson(request, text, done);
    const encoding = encodingOf(request);
    if (encoding === 'identity') return parse(body.toString('utf8'));
    if (encoding !== 'gzip') return done(new HttpError(415, 'unsupported_encoding', 'Only gzip request bodies are accepted.'), undefined);
    if (body.length <= INLINE_BELOW_BYTES) {
      let inflated: Buffer;
      try {
        inflated = gunzipSync(body, { maxOutputLength: limitBytes });
      } catch (error) {
        return done(inflateError(error), undefined);
      }
      return parse(inflated.toString('utf8'));
    }
    gunzip(body, { maxOutputLength: limitBytes }, (error, inflated) => {
      if (error) done(inflateError(error), undefined);
      else parse(inflated.toString('utf8'));
    });
  });
}

function encodingOf(request: FastifyRequest): string {
  return (request.headers['content-encoding'] ?? 'identity').toString().trim().toLowerCase();
}

/** Too large after inflating: 413; anything else (a corrupt or truncated stream) is the client's fault: 400. */
function inflateError(error: unknown): HttpError {
  if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
    return new HttpError(413, 'body_too_large', 'Request body too large after decompression.');
  }
  return new HttpError(400, 'invalid_request', 'The request body is not valid gzip.');
}
