import http from 'node:http';
import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { asciiJson } from '../../shared/protocol/ascii-json.js';
import axios, { AxiosError, type AxiosInstance, type AxiosResponse } from 'axios';
import type { z } from 'zod';
import { EventId } from '../../shared/events.js';
import {
  AGENT_LIMITS,
  AGENT_ROUTES,
  AgentId,
  AgentKey,
  ApiError,
  ApprovalRequestView,
  CreateApprovalRequest,
  EnrollRequest,
  EnrollResponse,
  EventBatch,
  EventBatchResponse,
  InventoryUpload,
  InventoryUploadResponse,
  PolicyResponse,
} from '../../shared/protocol/agent-api.js';
import type { SignedPolicy } from '../../shared/policy.js';
import { AGENT_VERSION } from '../version.js';
import type { NetworkFailureReason, SyncFailure, SyncResult } from './failure.js';
import { parseRetryAfter } from './retry-after.js';

const gzip = promisify(gzipCallback);

export interface CollectorClientOptions {
  /** The collector's base URL (http or https); a path prefix is kept (https://host/mamori). */
  baseUrl: string;
  /** PEM text of the CA to pin. When given, it is the only trust root: the OS store is ignored. */
  caPem?: string | null;
  /** Upper bound for a whole call, connect to last byte (default 30 s). */
  timeoutMs?: number;
  /** Request bodies larger than this are sent gzip-compressed (default 1 KiB). */
  gzipAboveBytes?: number;
  /** Largest answer accepted, after decompression (default 64 MiB: a policy may be 32 MiB of text). */
  maxResponseBytes?: number;
  /** Defaults to `mamori-agent/<version>`. */
  userAgent?: string;
}

/** The credentials issued at enrolment. */
export interface AgentCredentials {
  agentId: string;
  agentKey: string;
}

export type PolicyFetch =
  | { notModified: true }
  | { notModified: false; signed: SignedPolicy; etag: string | null };

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_GZIP_ABOVE_BYTES = 1024;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const MAX_MESSAGE_CHARS = 500;

/** TLS verification and handshake error codes from Node/OpenSSL: the server was reached but not trusted. */
const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_|LEAF_SIGNATURE|^ERR_TLS_|^ERR_SSL_|^EPROTO$|HOSTNAME_MISMATCH/;

interface Exchange {
  status: number;
  headers: Record<string, string | undefined>;
  body: Buffer;
}

interface CallSpec<T> {
  method: 'GET' | 'POST';
  path: string;
  auth: AgentCredentials | null;
  body?: unknown;
  headers?: Record<string, string>;
  response: z.ZodType<T>;
}

function failure<T>(f: SyncFailure): SyncResult<T> {
  return { ok: false, failure: f };
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}

function headerValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  if (typeof value === 'number') return String(value);
  return undefined;
}

/** The server's ApiError body, when it sent one we can read. */
function apiError(body: Buffer): ApiError | null {
  try {
    const parsed = ApiError.safeParse(JSON.parse(body.toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * The agent's side of the agent API (src/shared/protocol/agent-api.ts) over axios. Every call
 * resolves to a SyncResult: the answer validated against the shared schema, or a SyncFailure.
 * Redirects are not followed and proxies from the environment are not used: the agent talks only
 * to the configured collector. Requests are not retried here; the sync loop decides when with
 * its Backoff.
 */
export class CollectorClient {
  private readonly http: AxiosInstance;
  private readonly agents: { http: http.Agent; https: https.Agent };
  private readonly closing = new AbortController();
  private readonly timeoutMs: number;
  private readonly gzipAboveBytes: number;

  constructor(options: CollectorClientOptions) {
    const base = new URL(options.baseUrl);
    if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new TypeError(`unsupported collector URL scheme: ${base.protocol}`);
    if (options.caPem) {
      // Fail at construction, not at every call, when the pinned CA is not a certificate.
      new X509Certificate(options.caPem);
    }
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.gzipAboveBytes = options.gzipAboveBytes ?? DEFAULT_GZIP_ABOVE_BYTES;
    this.agents = {
      http: new http.Agent({ keepAlive: true }),
      https: new https.Agent({
        keepAlive: true,
        minVersion: 'TLSv1.2',
        // Explicit, so that NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment cannot switch it off.
        rejectUnauthorized: true,
        // Node replaces its root store with `ca` when it is given: only the pinned CA is trusted.
        ...(options.caPem ? { ca: options.caPem } : {}),
      }),
    };
    this.http = axios.create({
      baseURL: base.toString(),
      adapter: 'http',
      httpAgent: this.agents.http,
      httpsAgent: this.agents.https,
      proxy: false,
      maxRedirects: 0,
      timeout: this.timeoutMs,
      maxContentLength: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      maxBodyLength: AGENT_LIMITS.bodyBytes,
      responseType: 'arraybuffer',
      decompress: true,
      validateStatus: () => true,
      transformRequest: [(data: unknown) => data],
      transformResponse: [(data: unknown) => data],
      transitional: { clarifyTimeoutError: true },
      headers: {
        'User-Agent': options.userAgent ?? `mamori-agent/${AGENT_VERSION}`,
        Accept: 'application/json',
        'Accept-Encoding': 'gzip',
      },
    });
  }

  /** Exchanges the enrolment secret and this PC's fingerprint for an agent id and key. */
  enroll(request: EnrollRequest): Promise<SyncResult<EnrollResponse>> {
    return this.call({ method: 'POST', path: AGENT_ROUTES.enroll, auth: null, body: this.checked(EnrollRequest, request), response: EnrollResponse });
  }

  /** Sends the section hashes and the changed sections; the answer says what was stored and what to resend. */
  uploadInventory(auth: AgentCredentials, upload: InventoryUpload): Promise<SyncResult<InventoryUploadResponse>> {
    return this.call({ method: 'POST', path: AGENT_ROUTES.inventory, auth, body: this.checked(InventoryUpload, upload), response: InventoryUploadResponse });
  }

  /** Sends a batch of events; the answer lists the ids the agent may drop from its outbox. */
  sendEvents(auth: AgentCredentials, batch: EventBatch): Promise<SyncResult<EventBatchResponse>> {
    return this.call({ method: 'POST', path: AGENT_ROUTES.events, auth, body: this.checked(EventBatch, batch), response: EventBatchResponse });
  }

  /**
   * Fetches the signed policy unless it still has ETag `etag`. The envelope is validated here; the
   * signature and version are the caller's to verify (src/agent/policy/verify.ts) before applying.
   */
  async getPolicy(auth: AgentCredentials, etag: string | null): Promise<SyncResult<PolicyFetch>> {
    const headers: Record<string, string> = etag ? { 'If-None-Match': etag } : {};
    const result = await this.exchange('GET', AGENT_ROUTES.policy, auth, undefined, headers);
    if (!result.ok) return result;
    if (result.value.status === 304) {
      // A 304 to a request without If-None-Match answers nothing the agent holds.
      if (!etag) return failure({ kind: 'invalid-response', status: 304, message: 'not modified, but no policy was held' });
      return { ok: true, value: { notModified: true } };
    }
    const parsed = this.interpret(result.value, PolicyResponse);
    if (!parsed.ok) return parsed;
    return { ok: true, value: { notModified: false, signed: parsed.value, etag: result.value.headers.etag ?? null } };
  }

  /** Files an approval request (使用申請); retrying with the same id stores it once. */
  createRequest(auth: AgentCredentials, request: CreateApprovalRequest): Promise<SyncResult<ApprovalRequestView>> {
    return this.call({ method: 'POST', path: AGENT_ROUTES.requests, auth, body: this.checked(CreateApprovalRequest, request), response: ApprovalRequestView });
  }

  /** The current status of an approval request this device filed. */
  getRequest(auth: AgentCredentials, id: string): Promise<SyncResult<ApprovalRequestView>> {
    const valid = EventId.safeParse(id);
    if (!valid.success) return Promise.resolve(failure({ kind: 'bad-request', status: null, code: 'invalid-id', message: 'refused before sending: the request id is not a UUID' }));
    return this.call({ method: 'GET', path: `${AGENT_ROUTES.requests}/${valid.data}`, auth, response: ApprovalRequestView });
  }

  /** Aborts calls in flight (they resolve as network/aborted) and closes kept-alive connections. */
  close(): void {
    this.closing.abort();
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /** The request body after validation, or a marker saying why it was refused before sending. */
  private checked<T>(schema: z.ZodType<T>, value: T): T | RefusedBody {
    const parsed = schema.safeParse(value);
    // The value as given, not zod's copy: zod lists keys in schema order, and inventory sections
    // go in canonical key order so that the collector can check their hashes quickly.
    if (parsed.success) return value;
    const issue = parsed.error.issues[0];
    return new RefusedBody(issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid');
  }

  private async call<T>(spec: CallSpec<T>): Promise<SyncResult<T>> {
    if (spec.body instanceof RefusedBody) {
      return failure({ kind: 'bad-request', status: null, code: 'invalid-request', message: `refused before sending: ${spec.body.reason}` });
    }
    const result = await this.exchange(spec.method, spec.path, spec.auth, spec.body, spec.headers ?? {});
    if (!result.ok) return result;
    return this.interpret(result.value, spec.response);
  }

  private async exchange(
    method: 'GET' | 'POST',
    path: string,
    auth: AgentCredentials | null,
    body: unknown,
    extraHeaders: Record<string, string>,
  ): Promise<SyncResult<Exchange>> {
    const headers: Record<string, string> = { ...extraHeaders };
    if (auth) {
      // A malformed id or key is a broken state file: there is nothing to send, enrol again.
      if (!AgentId.safeParse(auth.agentId).success || !AgentKey.safeParse(auth.agentKey).success) {
        return failure({ kind: 'unauthorized', reenroll: true, message: 'the stored agent credentials are malformed' });
      }
      headers.Authorization = `Bearer ${auth.agentId}.${auth.agentKey}`;
    }
    let data: Buffer | undefined;
    if (body !== undefined) {
      // ASCII-only JSON: the collector decodes it on its fast path (see asciiJson).
      const json = Buffer.from(asciiJson(body), 'utf8');
      if (json.length > AGENT_LIMITS.bodyBytes) {
        return failure({ kind: 'bad-request', status: null, code: 'too-large', message: `refused before sending: ${json.length} bytes is over the collector's limit of ${AGENT_LIMITS.bodyBytes}` });
      }
      headers['Content-Type'] = 'application/json; charset=utf-8';
      if (json.length > this.gzipAboveBytes) {
        data = await gzip(json);
        headers['Content-Encoding'] = 'gzip';
      } else {
        data = json;
      }
    }

    // axios' own timeout covers connecting and idle sockets; this deadline also covers a server
    // that trickles its answer byte by byte.
    const deadline = AbortSignal.timeout(this.timeoutMs);
    try {
      const response: AxiosResponse<unknown> = await this.http.request({
        method,
        url: path,
        headers,
        data,
        signal: AbortSignal.any([deadline, this.closing.signal]),
      });
      const responseHeaders: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(response.headers)) responseHeaders[name.toLowerCase()] = headerValue(value);
      const raw = response.data;
      const bodyBytes = Buffer.isBuffer(raw) ? raw : raw instanceof ArrayBuffer ? Buffer.from(raw) : Buffer.alloc(0);
      return { ok: true, value: { status: response.status, headers: responseHeaders, body: bodyBytes } };
    } catch (error) {
      return failure(this.networkFailure(error, deadline.aborted));
    }
  }

  private networkFailure(error: unknown, deadlinePassed: boolean): SyncFailure {
    const rawCode = error instanceof AxiosError ? error.code : error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
    const code = typeof rawCode === 'string' && rawCode.length > 0 ? rawCode : null;
    const message = clip(error instanceof Error ? error.message : String(error));
    const network = (reason: NetworkFailureReason): SyncFailure => ({ kind: 'network', reason, code, message });
    if (this.closing.signal.aborted) return network('aborted');
    if (deadlinePassed || code === 'ETIMEDOUT' || code === 'ECONNABORTED') return network('timeout');
    if (message.includes('maxContentLength')) return { kind: 'invalid-response', status: null, message: `answer too large: ${message}` };
    if (code && /^Z_|^ERR_BAD_RESPONSE$/.test(code)) return { kind: 'invalid-response', status: null, message };
    if (code && TLS_CODE.test(code)) return network('tls');
    return network('connection');
  }

  /** Maps a status and body to the validated answer or the failure the protocol says it is. */
  private interpret<T>(exchange: Exchange, schema: z.ZodType<T>): SyncResult<T> {
    const { status, body } = exchange;
    if (status >= 200 && status < 300) {
      let text: string;
      let json: unknown;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(body);
        json = JSON.parse(text);
      } catch {
        return failure({ kind: 'invalid-response', status, message: `status ${status} with a body that is not JSON` });
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return failure({ kind: 'invalid-response', status, message: clip(`the answer does not match the protocol: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`) });
      }
      return { ok: true, value: parsed.data };
    }
    const error = apiError(body);
    const message = clip(error?.message ?? `HTTP ${status}`);
    if (status === 401) return failure({ kind: 'unauthorized', reenroll: error?.reenroll === true, message });
    if (status === 403) return failure({ kind: 'forbidden', message });
    if (status === 429 || status === 503) {
      return failure({ kind: 'rate-limited', status, retryAfterMs: parseRetryAfter(exchange.headers['retry-after']), message });
    }
    if (status >= 500 && status < 600) return failure({ kind: 'server', status, message });
    if (status >= 400 && status < 500) return failure({ kind: 'bad-request', status, code: error?.error ?? null, message });
    // 1xx and 3xx: redirects are not followed, and 304 is only expected for the policy.
    return failure({ kind: 'invalid-response', status, message: `unexpected status ${status}` });
  }
}

/** A request body that failed its schema: never sent. */
class RefusedBody {
  constructor(readonly reason: string) {}
}
