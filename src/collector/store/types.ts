import type { AgentEvent, EventType } from '../../shared/events.js';
import type { InventorySections, SectionHashes } from '../../shared/inventory/document.js';
import type { SectionData, SectionName } from '../../shared/inventory/sections.js';
import type { SoftwareItem } from '../../shared/inventory/software.js';
import type { Platform } from '../../shared/platform.js';
import type { InventoryChangeDraft } from '../inventory/changes.js';
import type { HardwareFingerprint } from '../inventory/fingerprint.js';

export type { FieldChange } from '../inventory/field-diff.js';
export type { InventoryChangeKind, SoftwareRef } from '../inventory/changes.js';
export type { HardwareFingerprint } from '../inventory/fingerprint.js';

// Every time in this API is an ISO-8601 UTC string with milliseconds (2026-11-02T09:15:00.000Z).
// The store normalises times it is given to that form, so both back ends return the same text.

export type AdminRole = 'admin' | 'approver' | 'auditor';
export const ADMIN_ROLES: readonly AdminRole[] = ['admin', 'approver', 'auditor'];

export interface Admin {
  id: string;
  username: string;
  /** The slow-KDF hash the auth layer made; the store never sees a password. */
  passwordHash: string;
  role: AdminRole;
  createdAt: string;
}

export interface NewEnrollmentSecret {
  /** Lower-case hex SHA-256 of the secret; the secret itself is never stored. */
  secretHash: string;
  /** What the secret is for (e.g. "本庁舎 2026 installer"). */
  label: string;
  /** After this time the secret no longer enrolls; null: never expires. */
  expiresAt: string | null;
  /** How many enrollments it allows; null: unlimited. */
  maxUses: number | null;
}

export interface EnrollmentSecret {
  id: string;
  secretHash: string;
  label: string;
  createdAt: string;
  expiresAt: string | null;
  maxUses: number | null;
  uses: number;
  revokedAt: string | null;
}

export interface DeviceEnrollment {
  /** As the agent reported it; the store normalises it and ignores firmware placeholders. */
  fingerprint: { systemUuid: string | null; serial: string | null; primaryMac: string | null };
  hostname: string;
  platform: Platform;
  /** Lower-case hex SHA-256 of the agent key the route layer issued; the key itself is never stored. */
  keyHash: string;
}

export interface EnrollmentResult {
  deviceId: string;
  /** True when the fingerprint matched an existing device (a re-imaged PC keeps its id and history). */
  reenrolled: boolean;
}

/** Who an agent's credentials belong to (all an agent route needs; a full Device costs a wider row). */
export interface AuthenticatedDevice {
  id: string;
}

export interface Device {
  id: string;
  hostname: string;
  platform: Platform;
  /** From the latest `os` section (e.g. "Microsoft Windows 11 Pro"), null before the first inventory. */
  osName: string | null;
  osVersion: string | null;
  fingerprint: HardwareFingerprint;
  enrolledAt: string;
  /** The last time this device enrolled again (re-imaged, or its key was lost). */
  reenrolledAt: string | null;
  lastSeenAt: string | null;
  softwareCount: number;
  eventCount: number;
}

/** A change of a few software items against the stored list whose section hash is `base`. */
export interface SoftwareDeltaUpload {
  base: string;
  upsert: SoftwareItem[];
  /** The hash of each item of `upsert`, in order (hashSoftwareItem). */
  upsertHashes: string[];
  remove: string[];
}

/**
 * The new data of changed sections, each with the hash the agent computed (hashSection).
 * `clean: true` is the caller's word that no string in the data holds U+0000 or a lone surrogate
 * (checked on its JSON text): the store then keeps the data as it is instead of copying it to
 * replace them (see storableText). The software section comes as a whole list, optionally with
 * each item's hash (`itemHashes`, in order; computed by the store when absent), or as a change
 * (`delta`), which the store applies only when it holds `delta.base` and the result's set hash is
 * `hash` (else the section is listed in `refused` and nothing of it is written).
 */
export type InventoryUpload = {
  [N in Exclude<SectionName, 'software'>]?: { hash: string; data: SectionData<N>; clean?: boolean };
} & {
  software?:
    | { hash: string; data: SectionData<'software'>; itemHashes?: string[]; clean?: boolean }
    | { hash: string; delta: SoftwareDeltaUpload; clean?: boolean };
};

export interface InventoryApplyResult {
  /** Sections whose data was replaced. */
  applied: SectionName[];
  /** Sections sent with the hash already stored: nothing to do. */
  unchanged: SectionName[];
  /** Sections never stored as inventory (volatile: processes). */
  ignored: SectionName[];
  /** How many history entries were appended. */
  changes: number;
  /** Sections sent as a change that did not apply (stale base, or a result whose hash is not the one sent): ask for them whole. */
  refused: SectionName[];
  /** Every section hash stored for the device once the upload is applied (what `getSectionHashes` would read next). */
  hashes: SectionHashes;
}

export interface StoredInventory {
  sections: InventorySections;
  hashes: SectionHashes;
  /** When each section's data was last replaced. */
  updatedAt: Partial<Record<SectionName, string>>;
}

/** One entry of a device's change history (機器構成の変更). */
export type InventoryChange = InventoryChangeDraft & { id: number; deviceId: string; changedAt: string };

export interface ListChangesOptions {
  /** 1–1000, default 100. */
  limit?: number;
  /** Only entries older than this change id (the last id of the previous page). */
  beforeId?: number;
}

export interface StoredEvent extends AgentEvent {
  deviceId: string;
  receivedAt: string;
}

export interface EventBatchResult {
  /** Ids stored now. */
  accepted: string[];
  /** Ids this device had already sent: acknowledged again, not stored twice. */
  duplicate: string[];
  /** Ids already stored for another device: not stored, not acknowledged as this device's. */
  rejected: string[];
}

/** A position in the event list: the last event of the previous page. */
export interface EventCursor {
  occurredAt: string;
  id: string;
}

export interface EventFilter {
  deviceId?: string;
  type?: EventType;
  /** 1–1000, default 100. */
  limit?: number;
  /** Only events after this one in newest-first order. */
  before?: EventCursor;
}

export interface NewPolicy {
  /** 'default' for now; per-group scopes later. */
  scope: string;
  /** Must be greater than the scope's current version (optimistic concurrency). */
  version: number;
  /** The signed policy document, exactly the bytes that were signed. */
  document: string;
  /** Base64 signature over `document`. */
  signature: string;
  /** Which collector key signed it. */
  keyId: string;
  /** The HTTP entity tag agents send back in If-None-Match. */
  etag: string;
}

export interface StoredPolicy extends NewPolicy {
  createdAt: string;
}

export type ApprovalKind = 'media' | 'software';
export type ApprovalStatus = 'pending' | 'approved' | 'rejected';
export type ApprovalDecision = Exclude<ApprovalStatus, 'pending'>;

/** The time span a use is requested for; `until` null: open-ended. */
export interface ApprovalPeriod {
  from: string;
  until: string | null;
}

export interface NewApprovalRequest {
  /** An id the agent generated, so that a retried request is stored once; omitted: the store makes one. */
  id?: string;
  deviceId: string;
  kind: ApprovalKind;
  /** What is requested: the medium's identity or the software title (JSON object). */
  subject: Record<string, unknown>;
  reason: string;
  /** The OS user who asked. */
  requestedBy: string;
  period: ApprovalPeriod | null;
}

export interface ApprovalRequest {
  id: string;
  deviceId: string;
  kind: ApprovalKind;
  subject: Record<string, unknown>;
  reason: string;
  requestedBy: string;
  period: ApprovalPeriod | null;
  status: ApprovalStatus;
  createdAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  comment: string | null;
}

export interface ApprovalFilter {
  deviceId?: string;
  status?: ApprovalStatus;
  /** 1–1000, default 100. */
  limit?: number;
}

export interface NewAuditEntry {
  /** Who did it: an admin username, or "system". */
  actor: string;
  /** What they did, dotted (device.ledger.update, request.approve, policy.publish…). */
  action: string;
  /** What it was done to (a device id, request id, username…), or null. */
  target: string | null;
  details: Record<string, unknown>;
}

export interface AuditEntry extends NewAuditEntry {
  id: number;
  at: string;
}

export interface AuditFilter {
  /** 1–1000, default 100. */
  limit?: number;
  /** Only entries older than this id. */
  beforeId?: number;
}

export interface MigrationResult {
  /** Versions applied by this call, in order (empty when the schema was already current). */
  applied: number[];
  /** The schema version after the call. */
  version: number;
}

export interface StoreOptions {
  /** The clock for every time the store records; tests pass a fake one. */
  now?: () => Date;
}
