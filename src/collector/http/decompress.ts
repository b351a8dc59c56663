import { Transform, pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.js';

/** A stream fastify reads the body from; `receivedEncodedLength` is the compressed byte count fastify checks. */
type BodyStream = Readable & { receivedEncodedLength?: number };

/**
 * Accepts `Content-Encoding: gzip` request bodies. The decompressed bytes count against the
 * route's body limit, and decompression stops the moment they pass it, so a gzip bomb costs the
 * server no more than `limit` bytes of work before it answers 413.
 */
export function installRequestDecompression(app: FastifyInstance, limitBytes: number): void {
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = (request.headers['content-encoding'] ?? 'identity').toString().trim().toLowerCase();
    if (encoding === 'identity') return payload;
    if (encoding !== 'gzip') throw new HttpError(415, 'unsupported_encoding', 'Only gzip request bodies are accepted.');

    let encoded = 0;
    let decoded = 0;
    payload.on('data', (chunk: Buffer) => {
      encoded += chunk.length;
      out.receivedEncodedLength = encoded;
    });
    const limiter = new Transform({
      transform(chunk: Buffer, _enc, callback) {
        decoded += chunk.length;
        if (decoded > limitBytes) {
          callback(new HttpError(413, 'body_too_large', 'Request body too large after decompression.'));
          return;
        }
        callback(null, chunk);
      },
    });
    const out: BodyStream = pipeline(payload, createGunzip(), limiter, (error) => {
      if (error && !(error instanceof HttpError)) {
        // A corrupt gzip stream is the client's fault: make it a clear 400, not a 500.
        Object.assign(error, { statusCode: 400 });
      }
    });
    out.receivedEncodedLength = 0;
    // The body is decoded from here on: later preParsing hooks (@fastify/compress's own request
    // decompression, which would decode it twice and never stop a bomb early) must not see gzip.
    delete request.headers['content-encoding'];
    return out;
  });
}
