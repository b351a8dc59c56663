import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SECTIONS, SECTION_NAMES } from '../../../shared/inventory/index.js';
import { checkSectionHash, hashSoftwareItemsQuick } from '../../inventory/hash.js';
import {
  AGENT_ROUTES,
  CreateApprovalRequest,
  EnrollRequest,
  EventBatch,
  InventoryUpload,
  type ApprovalRequestView,
  type EnrollResponse,
  type EventBatchResponse,
  type InventoryUploadResponse,
} from '../../../shared/protocol/agent-api.js';
import { EventId } from '../../../shared/events.js';
import { hashSecret, newAgentKey, parseAgentAuthorization } from '../../auth/agent-keys.js';
import { HttpError, parseWith } from '../../http/errors.js';
import { WindowLimiter } from '../../http/rate-limit.js';
import { currentPolicy, toSignedPolicy } from '../../policy/current.js';
import type { PolicyKeyPair } from '../../policy/signing.js';
import { ConflictError, NotFoundError, type ApprovalRequest, type InventoryApplyResult, type AuthenticatedDevice, type InventoryUpload as StoreUpload, type Store } from '../../store/index.js';

/** What an approval request records as its requester when the agent could not tell the OS user. */
const UNKNOWN_OS_USER = '(unknown)';

export interface AgentRoutesOptions {
  store: Store;
  policyKeys: PolicyKeyPair;
  /** Failed enrolments or agent authentications allowed per client address per window. */
  authFailuresPerWindow: number;
  authFailureWindowMs: number;
  /** Enrolments (successful or not) allowed per client address per window: generous for an office behind one NAT address, a stop to floods. */
  enrolmentsPerWindow: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated agent's device (agent routes only). */
    device?: AuthenticatedDevice;
  }
}

/**
 * The agent API (versioned prefix, its own auth: `Bearer <agentId>.<agentKey>`). An agent can
 * read and write only its own device's data; every body is validated against the shared schema
 * before anything is stored.
 */
export async function agentRoutes(app: FastifyInstance, options: AgentRoutesOptions): Promise<void> {
  const { store, policyKeys } = options;
  const failures = new WindowLimiter(options.authFailuresPerWindow, options.authFailureWindowMs);
  const enrolments = new WindowLimiter(options.enrolmentsPerWindow, options.authFailureWindowMs);
  // Agents send JSON only; fastify's default text/plain parser would hand a route a string.
  app.removeContentTypeParser('text/plain');

  const refuseIfBlocked = (request: FastifyRequest, reply: FastifyReply, limiter: WindowLimiter = failures) => {
    if (limiter.isBlocked(request.ip)) {
      reply.header('retry-after', String(limiter.retryAfterSeconds(request.ip)));
      throw new HttpError(429, 'rate_limited', 'Too many attempts from this address; retry later.');
    }
  };

  const unknownAgent = (request: FastifyRequest) => {
    failures.hit(request.ip);
    return new HttpError(401, 'unknown_agent', 'Unknown agent or wrong key: enrol again.', { reenroll: true });
  };
  // The header's form and the failure limit. The inventory route stops here: its key is checked
  // by the store, in the statement that marks the device seen (one database round trip less per
  // check-in), so a malformed body from an unknown agent is answered 400, not 401 (the schema it
  // learns about is public).
  const credentialsOf = (request: FastifyRequest, reply: FastifyReply) => {
    refuseIfBlocked(request, reply);
    const credentials = parseAgentAuthorization(request.headers.authorization);
    if (!credentials) throw unknownAgent(request);
    return credentials;
  };
  const authenticate = async (request: FastifyRequest, reply: FastifyReply) => {
    const credentials = credentialsOf(request, reply);
    const device = await store.authenticateDevice(credentials.agentId, hashSecret(credentials.agentKey));
    if (!device) throw unknownAgent(request);
    request.device = device;
  };
  const deviceOf = (request: FastifyRequest): AuthenticatedDevice => {
    if (!request.device) throw new HttpError(401, 'unknown_agent', 'Not authenticated.', { reenroll: true });
    return request.device;
  };

  app.post(AGENT_ROUTES.enroll, async (request, reply): Promise<EnrollResponse> => {
    refuseIfBlocked(request, reply);
    refuseIfBlocked(request, reply, enrolments);
    enrolments.hit(request.ip);
    const body = parseWith(EnrollRequest, request.body);
    // Checked before the secret is used: a refused enrolment must not count against maxUses.
    if (body.hostname.trim() === '') throw new HttpError(400, 'invalid_request', 'Invalid request body: hostname: must not be blank');
    const secret = await store.useEnrollmentSecret(hashSecret(body.enrollSecret));
    if (!secret) {
      failures.hit(request.ip);
      throw new HttpError(401, 'invalid_enroll_secret', 'The enrolment secret is unknown, revoked, expired or used up.');
    }
    const agentKey = newAgentKey();
    const result = await store.enrollDevice({
      fingerprint: body.fingerprint,
      hostname: body.hostname,
      platform: body.platform,
      keyHash: hashSecret(agentKey),
    });
    request.log.info({ deviceId: result.deviceId, reenrolled: result.reenrolled, secret: secret.label }, 'agent enrolled');
    return { agentId: result.deviceId, agentKey, reenrolled: result.reenrolled, policyPublicKey: policyKeys.publicKeyPem };
  });

  app.post(AGENT_ROUTES.inventory, async (request, reply): Promise<InventoryUploadResponse> => {
    const credentials = credentialsOf(request, reply);
    const body = parseWith(InventoryUpload, request.body);
    // The sections as they arrived: what the agent hashed, in its key order (see checkSectionHash).
    const wire = (request.body as { sections: Record<string, unknown> }).sections;
    const upload: Record<string, unknown> = {};
    for (const name of SECTION_NAMES) {
      const data = body.sections[name];
      if (data === undefined || SECTIONS[name].volatile) continue;
      const check = checkSectionHash(name, wire[name], body.hashes[name]);
      if (!check.ok) {
        throw new HttpError(400, 'hash_mismatch', `Section ${name}: the hash sent does not match its data (expected ${check.expected}).`);
      }
      upload[name] = { hash: check.hash, data, clean: check.clean, ...(check.itemHashes ? { itemHashes: check.itemHashes } : {}) };
    }
    if (body.softwareDelta) {
      // Checked by the store against the hashes it keeps: the result's set hash must be hashes.software.
      const sent = (request.body as { softwareDelta: { upsert: unknown[] } }).softwareDelta.upsert;
      const quick = hashSoftwareItemsQuick(sent);
      upload.software = { hash: body.hashes.software, delta: { ...body.softwareDelta, upsertHashes: quick.itemHashes }, clean: quick.clean };
    }
    let applied: InventoryApplyResult;
    try {
      applied = await store.applyInventory(credentials.agentId, upload as StoreUpload, { keyHash: hashSecret(credentials.agentKey) });
    } catch (error) {
      if (error instanceof NotFoundError) throw unknownAgent(request);
      throw error;
    }
    if (applied.refused.length > 0) request.log.info({ deviceId: credentials.agentId, refused: applied.refused }, 'a software change did not apply: asking for the whole list');
    const resend = SECTION_NAMES.filter((name) => {
      const claimed = body.hashes[name];
      return claimed !== undefined && !SECTIONS[name].volatile && applied.hashes[name] !== claimed;
    });
    return { stored: [...applied.applied, ...applied.unchanged], resend };
  });

  app.post(AGENT_ROUTES.events, { preHandler: authenticate }, async (request): Promise<EventBatchResponse> => {
    const device = deviceOf(request);
    const body = parseWith(EventBatch, request.body);
    const result = await store.insertEvents(device.id, body.events);
    return {
      acknowledged: [...result.accepted, ...result.duplicate],
      rejected: result.rejected.map((id) => ({ id, reason: 'This event id belongs to another device.' })),
    };
  });

  app.get(AGENT_ROUTES.policy, { preHandler: authenticate }, async (request, reply) => {
    const policy = await currentPolicy(store, policyKeys);
    reply.header('etag', policy.etag);
    reply.header('cache-control', 'no-cache');
    const ifNoneMatch = request.headers['if-none-match'];
    if (ifNoneMatch && ifNoneMatch.split(',').some((tag) => tag.trim() === policy.etag)) {
      return reply.status(304).send();
    }
    return toSignedPolicy(policy);
  });

  app.post(AGENT_ROUTES.requests, { preHandler: authenticate }, async (request, reply): Promise<ApprovalRequestView> => {
    const device = deviceOf(request);
    const body = parseWith(CreateApprovalRequest, request.body);
    if (body.periodTo && !body.periodFrom) throw new HttpError(400, 'invalid_request', 'Invalid request body: periodTo needs periodFrom.');
    try {
      const created = await store.createApprovalRequest({
        id: body.id,
        deviceId: device.id,
        kind: body.kind,
        subject: body.subject,
        reason: body.reason,
        // The OS user may be unknown to the agent (null); the store keeps a non-blank name.
        requestedBy: body.requestedBy?.trim() ? body.requestedBy : UNKNOWN_OS_USER,
        period: body.periodFrom ? requestedPeriod(body.periodFrom, body.periodTo) : null,
      });
      reply.status(201);
      return toView(created);
    } catch (error) {
      if (error instanceof ConflictError) throw new HttpError(403, 'forbidden', 'This request id belongs to another device.');
      throw error;
    }
  });

  app.get<{ Params: { id: string } }>(`${AGENT_ROUTES.requests}/:id`, { preHandler: authenticate }, async (request): Promise<ApprovalRequestView> => {
    const device = deviceOf(request);
    const id = parseWith(EventId, request.params.id, 'request id');
    const found = await store.getApprovalRequest(id);
    if (!found) throw new HttpError(404, 'not_found', 'No such request.');
    if (found.deviceId !== device.id) throw new HttpError(403, 'forbidden', 'This request belongs to another device.');
    return toView(found);
  });
}

/**
 * The agent asks for whole days (使用期限, ISO dates); the store keeps times. The period runs from
 * the first day's start to the last day's end, in UTC (the collector does not know the PC's zone).
 */
function requestedPeriod(from: string, until: string | null): { from: string; until: string | null } {
  return { from: `${from}T00:00:00.000Z`, until: until === null ? null : `${until}T23:59:59.999Z` };
}

function toView(request: ApprovalRequest): ApprovalRequestView {
  return {
    id: request.id,
    kind: request.kind,
    status: request.status,
    reason: request.reason,
    createdAt: request.createdAt,
    decidedAt: request.decidedAt,
    comment: request.comment,
  };
}

