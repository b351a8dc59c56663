import type { SecureContextOptions } from 'node:tls';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import compress from '@fastify/compress';
import { AGENT_LIMITS } from '../shared/protocol/agent-api.js';
import { installJsonBodies } from './http/decompress.js';
import { installErrorHandling } from './http/errors.js';
import { loadPolicyKeys } from './policy/current.js';
import { agentRoutes } from './routes/agent/index.js';
import type { Store } from './store/index.js';

export interface CollectorAppOptions {
  store: Store;
  /** The logger (pino); none when absent. */
  loggerInstance?: FastifyBaseLogger;
  /** Serve HTTPS with this certificate and key (TLS ≥ 1.2). */
  https?: SecureContextOptions & { minVersion: 'TLSv1.2' | 'TLSv1.3' };
  /** Largest request body, after decompression (bytes). */
  bodyLimitBytes?: number;
  /** Failed enrolments/authentications allowed per client address per minute. */
  authFailuresPerMinute?: number;
  /** Enrolments allowed per client address per minute (default 600). */
  enrolmentsPerMinute?: number;
  /** Trust X-Forwarded-For from a load balancer in front of several collectors. */
  trustProxy?: boolean;
}

/**
 * The collector's HTTP server: infrastructure first (errors, limits, compression), then the
 * route trees. Agent and admin routes are separate trees with their own auth. The store must be
 * migrated before the app serves.
 */
export async function buildCollectorApp(options: CollectorAppOptions): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimitBytes ?? AGENT_LIMITS.bodyBytes;
  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: false }),
    ...(options.https ? { https: options.https } : {}),
    bodyLimit,
    trustProxy: options.trustProxy ?? false,
    return503OnClosing: true,
  });
  installErrorHandling(app);
  installJsonBodies(app, bodyLimit);
  // Replies only: request bodies are inflated by installJsonBodies, which stops a gzip bomb at
  // the body limit; @fastify/compress's own request decompression would inflate them again.
  await app.register(compress, { global: true, globalDecompression: false, encodings: ['gzip'], threshold: 1024 });

  const policyKeys = await loadPolicyKeys(options.store);
  await app.register(agentRoutes, {
    store: options.store,
    policyKeys,
    authFailuresPerWindow: options.authFailuresPerMinute ?? 30,
    authFailureWindowMs: 60_000,
    enrolmentsPerWindow: options.enrolmentsPerMinute ?? 600,
  });
  app.get('/healthz', async () => ({ ok: true }));
  return app;
}

