import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildCollectorApp, type CollectorAppOptions } from '../../src/collector/app.js';
import type { Store } from '../../src/collector/store/index.js';

// A real collector on 127.0.0.1:<ephemeral port> and a raw HTTP client (node:http, one connection
// per request) that sends exactly the bytes and headers a test gives it: no JSON encoding, no
// automatic compression, no retries.

export interface RunningCollector {
  /** http://127.0.0.1:<port> */
  url: string;
  app: FastifyInstance;
  store: Store;
  close(): Promise<void>;
}

/** Migrates the store, builds the app and listens on an ephemeral loopback port. */
export async function startCollector(store: Store, options: Omit<CollectorAppOptions, 'store'> = {}): Promise<RunningCollector> {
  await store.migrate();
  const app = await buildCollectorApp({ store, ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    store,
    close: () => app.close(),
  };
}

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Send the body with chunked transfer encoding (no Content-Length), in 64 KiB writes. */
  chunked?: boolean;
  /** Give up after this long (ms); default 20 s. */
  timeoutMs?: number;
}

/**
 * Sends one request on a fresh connection and reads the whole reply. A server that answers
 * early (413) and closes while the body is still being written still yields its reply.
 */
export function send(baseUrl: string, request: RawRequest): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const url = new URL(request.path, baseUrl);
    const body = request.body === undefined ? undefined : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, 'utf8');
    const headers: Record<string, string | number> = { ...request.headers };
    if (body !== undefined && !request.chunked) headers['content-length'] = body.length;
    let settled = false;
    const done = (error: Error | null, reply?: HttpReply) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve(reply!);
    };
    const req = http.request(
      { host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: request.method ?? 'GET', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => done(error));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          const text = raw.toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          done(null, { status: res.statusCode ?? 0, headers: res.headers, body: raw, text, json });
        });
      },
    );
    req.setTimeout(request.timeoutMs ?? 20_000, () => req.destroy(new Error(`no reply to ${request.method ?? 'GET'} ${request.path} in time`)));
    // EPIPE/ECONNRESET while writing a body the server already refused: the reply (if any) wins.
    req.on('error', (error) => setTimeout(() => done(error), 50));
    if (body === undefined) req.end();
    else if (!request.chunked) req.end(body);
    else void writeInChunks(req, body);
  });
}

async function writeInChunks(req: http.ClientRequest, body: Buffer): Promise<void> {
  for (let offset = 0; offset < body.length && !req.destroyed; offset += 64 * 1024) {
    if (!req.write(body.subarray(offset, offset + 64 * 1024))) await new Promise<void>((resolve) => req.once('drain', resolve).once('close', resolve));
  }
  if (!req.destroyed) req.end();
}

/** A JSON POST (or other method) with optional Authorization. */
export function sendJson(baseUrl: string, path: string, value: unknown, headers: Record<string, string> = {}, method = 'POST'): Promise<HttpReply> {
  return send(baseUrl, { method, path, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) });
}
