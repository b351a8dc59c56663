import { z } from 'zod';
import { AgentEvent, EventId } from '../events.js';
import { InventorySections, SectionHashes, SectionNameSchema, Sha256Hex, SoftwareItem } from '../inventory/index.js';
import { PLATFORMS } from '../platform.js';
import { SignedPolicy } from '../policy.js';

/**
 * The agent ↔ collector protocol: one request/response schema pair per endpoint, shared by the
 * agent's client and the collector's routes. All agent routes live under AGENT_API_PREFIX and
 * authenticate with `Authorization: Bearer <agentId>.<agentKey>` (except enrol).
 */
export const AGENT_API_PREFIX = '/api/agent/v1';

export const AGENT_ROUTES = {
  enroll: `${AGENT_API_PREFIX}/enroll`,
  inventory: `${AGENT_API_PREFIX}/inventory`,
  events: `${AGENT_API_PREFIX}/events`,
  policy: `${AGENT_API_PREFIX}/policy`,
  requests: `${AGENT_API_PREFIX}/requests`,
} as const;

/** Body and decompressed-size limits the collector enforces (bytes). */
export const AGENT_LIMITS = {
  bodyBytes: 16 * 1024 * 1024,
  eventsPerBatch: 1000,
  /** Items added, changed or removed in one software change; a larger change goes as the whole list. */
  softwareDeltaItems: 10_000,
} as const;

export const AgentId = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a lower-case UUID');
/** 256-bit agent key, base64url without padding. */
export const AgentKey = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a 256-bit base64url key');

export const HardwareFingerprint = z.object({
  systemUuid: z.string().max(128).nullable(),
  serial: z.string().max(256).nullable(),
  primaryMac: z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/).nullable(),
});
export type HardwareFingerprint = z.infer<typeof HardwareFingerprint>;

export const EnrollRequest = z.object({
  enrollSecret: z.string().min(16).max(256),
  fingerprint: HardwareFingerprint,
  hostname: z.string().min(1).max(255),
  platform: z.enum(PLATFORMS),
  osName: z.string().max(256).nullable(),
  agentVersion: z.string().max(64),
});
export type EnrollRequest = z.infer<typeof EnrollRequest>;

export const EnrollResponse = z.object({
  agentId: AgentId,
  agentKey: AgentKey,
  /** True when the fingerprint matched a device that already existed (re-imaged PC). */
  reenrolled: z.boolean(),
  /** The collector's Ed25519 public key (SPKI PEM) that signs policies. */
  policyPublicKey: z.string().max(4096),
});
export type EnrollResponse = z.infer<typeof EnrollResponse>;

/**
 * A change of a few software items, instead of the whole list: the items added or changed (whole,
 * keyed by id) and the ids removed, against the list whose hash is `base` (the one the collector
 * acknowledged last). The collector applies it only when it still holds `base` and the result's
 * set hash is the `hashes.software` sent; otherwise it asks for the whole list (`resend`).
 */
export const SoftwareDelta = z
  .object({
    base: Sha256Hex,
    upsert: z.array(SoftwareItem).max(AGENT_LIMITS.softwareDeltaItems),
    remove: z.array(SoftwareItem.shape.id).max(AGENT_LIMITS.softwareDeltaItems),
  })
  .superRefine((delta, ctx) => {
    const seen = new Set<string>();
    for (const [list, ids] of [['upsert', delta.upsert.map((item) => item.id)], ['remove', delta.remove]] as const) {
      ids.forEach((id, index) => {
        if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [list, index], message: `item id ${JSON.stringify(id.slice(0, 64))} appears twice in the change` });
        seen.add(id);
      });
    }
  });
export type SoftwareDelta = z.infer<typeof SoftwareDelta>;

export const InventoryUpload = z
  .object({
    collectedAt: z.iso.datetime(),
    agentVersion: z.string().max(64),
    /** The hash of every non-volatile section of the scan, changed or not. */
    hashes: SectionHashes,
    /** Only the sections whose hash differs from what the collector acknowledged last time. */
    sections: InventorySections,
    /** The software section as a change of a few items (then `sections.software` is absent). */
    softwareDelta: SoftwareDelta.optional(),
  })
  .superRefine((upload, ctx) => {
    if (!upload.softwareDelta) return;
    if (upload.sections.software !== undefined) ctx.addIssue({ code: 'custom', path: ['softwareDelta'], message: 'send the software list or a change of it, not both' });
    if (upload.hashes.software === undefined) ctx.addIssue({ code: 'custom', path: ['hashes', 'software'], message: 'a software change needs the hash of the list it makes' });
  });
export type InventoryUpload = z.infer<typeof InventoryUpload>;

export const InventoryUploadResponse = z.object({
  /** Sections stored from this upload. */
  stored: z.array(SectionNameSchema),
  /** Sections whose hash the collector does not hold: send them (a full resend when it lists all). */
  resend: z.array(SectionNameSchema),
});
export type InventoryUploadResponse = z.infer<typeof InventoryUploadResponse>;

export const EventBatch = z.object({
  events: z.array(AgentEvent).min(1).max(AGENT_LIMITS.eventsPerBatch),
});
export type EventBatch = z.infer<typeof EventBatch>;

export const EventBatchResponse = z.object({
  /** Ids now stored, including ones that were already stored (idempotent): the agent may drop them. */
  acknowledged: z.array(EventId),
  /** Ids refused (e.g. an id that belongs to another device); the agent drops them too, and logs why. */
  rejected: z.array(z.object({ id: EventId, reason: z.string().max(256) })),
});
export type EventBatchResponse = z.infer<typeof EventBatchResponse>;

export const PolicyResponse = SignedPolicy;

export const ApprovalRequestKind = z.enum(['media', 'software']);
export const ApprovalStatus = z.enum(['pending', 'approved', 'rejected']);

export const CreateApprovalRequest = z.object({
  /** Generated on the agent so a retried request is stored once. */
  id: EventId,
  kind: ApprovalRequestKind,
  /** What is asked for: the medium's identity or the software's identity. */
  subject: z.record(z.string().max(128), z.unknown()),
  /** 使用目的 as the staff member wrote it. */
  reason: z.string().min(1).max(2000),
  requestedBy: z.string().max(256).nullable(),
  /** 使用期限 requested. */
  periodFrom: z.iso.date().nullable(),
  periodTo: z.iso.date().nullable(),
});
export type CreateApprovalRequest = z.infer<typeof CreateApprovalRequest>;

export const ApprovalRequestView = z.object({
  id: EventId,
  kind: ApprovalRequestKind,
  status: ApprovalStatus,
  reason: z.string(),
  createdAt: z.iso.datetime(),
  decidedAt: z.iso.datetime().nullable(),
  comment: z.string().nullable(),
});
export type ApprovalRequestView = z.infer<typeof ApprovalRequestView>;

/** Every error the collector returns: a stable code for programs, a message for people. */
export const ApiError = z.object({
  error: z.string().max(64),
  message: z.string().max(2000),
  /** Present on 401 when the agent must enrol again. */
  reenroll: z.boolean().optional(),
});
export type ApiError = z.infer<typeof ApiError>;
