import type {
  Admin,
  AdminRole,
  ApprovalDecision,
  ApprovalFilter,
  ApprovalRequest,
  AuditEntry,
  AuditFilter,
  AuthenticatedDevice,
  Device,
  DeviceEnrollment,
  EnrollmentResult,
  EnrollmentSecret,
  EventBatchResult,
  EventFilter,
  InventoryApplyResult,
  InventoryChange,
  InventoryUpload,
  ListChangesOptions,
  MigrationResult,
  NewApprovalRequest,
  NewAuditEntry,
  NewEnrollmentSecret,
  NewPolicy,
  StoredEvent,
  StoredInventory,
  StoredPolicy,
} from './types.js';
import type { AgentEvent } from '../../shared/events.js';
import type { SectionHashes } from '../../shared/inventory/document.js';

/**
 * The collector's storage, one contract for every back end (SQLite embedded, PostgreSQL shared by
 * several collector processes). Rules that hold for every method:
 * - times in and out are ISO-8601 UTC strings; the store's clock stamps what it records;
 * - `get…`/`find…` return null for what does not exist; a method that changes something that
 *   does not exist throws NotFoundError; errors are StoreError subclasses (see errors.ts);
 * - each method is atomic: it fully happens or not at all, also under concurrency from other
 *   collector processes on the same PostgreSQL database;
 * - secrets are never stored: callers pass SHA-256 hashes (lower-case hex), or slow-KDF
 *   hashes for admin passwords.
 */
export interface Store {
  /** Which back end this is, for logs and benchmarks. */
  readonly backend: 'sqlite' | 'postgres';

  /** Brings the schema to the newest version; idempotent, safe when several processes call it at once. Throws SchemaMismatchError when the database is newer than this collector. */
  migrate(): Promise<MigrationResult>;

  // --- admins ---------------------------------------------------------------------------------
  /** Adds a console user; ConflictError when the username (exact, case-sensitive) exists. */
  createAdmin(username: string, passwordHash: string, role: AdminRole): Promise<Admin>;
  /** The console user with exactly this username, or null. */
  findAdminByUsername(username: string): Promise<Admin | null>;

  // --- enrollment secrets ---------------------------------------------------------------------
  /** Records a new enrollment secret by its hash; ConflictError when the hash exists. */
  createEnrollmentSecret(secret: NewEnrollmentSecret): Promise<EnrollmentSecret>;
  /** Every enrollment secret, newest first (hashes only). */
  listEnrollmentSecrets(): Promise<EnrollmentSecret[]>;
  /** Atomically counts one use of the secret with this hash and returns it, or null when it is unknown, revoked, expired or used up. */
  useEnrollmentSecret(secretHash: string): Promise<EnrollmentSecret | null>;
  /** Stops a secret from enrolling any more devices (idempotent; the first revocation time is kept); NotFoundError for an unknown id. */
  revokeEnrollmentSecret(id: string): Promise<EnrollmentSecret>;

  // --- devices --------------------------------------------------------------------------------
  /** Enrolls a machine: the device with a matching fingerprint gets the new key hash and keeps its id and history; otherwise a new device. */
  enrollDevice(enrollment: DeviceEnrollment): Promise<EnrollmentResult>;
  /** The device when this key hash is its current one (constant-time comparison), else null. */
  authenticateDevice(deviceId: string, keyHash: string): Promise<AuthenticatedDevice | null>;
  /** Records that the device was seen now (never moves last-seen backwards); NotFoundError for an unknown device. */
  touchDevice(deviceId: string): Promise<void>;
  /** Every device with its software and event counts, by hostname. */
  listDevices(): Promise<Device[]>;
  /** One device, or null. */
  getDevice(deviceId: string): Promise<Device | null>;

  // --- inventory ------------------------------------------------------------------------------
  /** The stored hash of every section of the device's current inventory ({} when none or unknown device). */
  getSectionHashes(deviceId: string): Promise<SectionHashes>;
  /** The device's current inventory, or null for an unknown device. */
  getInventory(deviceId: string): Promise<StoredInventory | null>;
  /**
   * In one transaction: replaces the current data of each section sent with a new hash and
   * appends what changed to the history (software installed/removed/updated; other sections
   * changed with a field diff; a section's first data is a baseline, not per-item installs).
   * Volatile sections (processes) are ignored. Records that the device was seen now (as
   * touchDevice, in the same commit). Concurrent calls for one device are serialised
   * so that history is neither lost nor duplicated. NotFoundError for an unknown device.
   * With `keyHash` (an agent's upload), the device's current key hash must be that one, checked
   * in the statement that marks it seen: otherwise NotFoundError too, and nothing is written.
   */
  applyInventory(deviceId: string, upload: InventoryUpload, options?: { keyHash?: string }): Promise<InventoryApplyResult>;
  /** The device's change history, newest first. */
  listChanges(deviceId: string, options?: ListChangesOptions): Promise<InventoryChange[]>;

  // --- events ---------------------------------------------------------------------------------
  /**
   * Stores a batch of the device's events, idempotent on event id: each distinct id is in exactly
   * one list of the result. Records that the device was seen now (in the same commit).
   * NotFoundError for an unknown device.
   */
  insertEvents(deviceId: string, events: readonly AgentEvent[]): Promise<EventBatchResult>;
  /** Events newest first (by occurrence time, then id), optionally of one device and/or one type. */
  listEvents(filter?: EventFilter): Promise<StoredEvent[]>;

  // --- policy and collector settings -----------------------------------------------------------
  /** Saves a new signed policy version for its scope; ConflictError unless the version is greater than the current one. */
  savePolicy(policy: NewPolicy): Promise<StoredPolicy>;
  /** The newest policy of the scope ('default' when omitted), or null. */
  getCurrentPolicy(scope?: string): Promise<StoredPolicy | null>;
  /** A collector setting, or null. */
  getSetting(key: string): Promise<string | null>;
  /** The setting's value; when absent, stores `create()`'s value first. Under concurrency every caller gets the one value that was stored. */
  getOrCreateSetting(key: string, create: () => string | Promise<string>): Promise<string>;

  // --- approval requests ----------------------------------------------------------------------
  /**
   * Files a pending request. Idempotent on a caller-supplied id: filing the same id again for the
   * same device returns the stored request unchanged; ConflictError when the id belongs to another
   * device. NotFoundError for an unknown device.
   */
  createApprovalRequest(request: NewApprovalRequest): Promise<ApprovalRequest>;
  /** One request, or null. */
  getApprovalRequest(id: string): Promise<ApprovalRequest | null>;
  /** Requests newest first, optionally of one device and/or one status. */
  listApprovalRequests(filter?: ApprovalFilter): Promise<ApprovalRequest[]>;
  /** Approves or rejects a pending request, atomically: ConflictError when it was already decided, NotFoundError when unknown. */
  decideApprovalRequest(id: string, decision: ApprovalDecision, decidedBy: string, comment: string | null): Promise<ApprovalRequest>;

  // --- audit log ------------------------------------------------------------------------------
  /** Appends an entry to the audit log (never changed or removed afterwards). */
  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Audit entries, newest first. */
  listAudit(filter?: AuditFilter): Promise<AuditEntry[]>;

  /** Waits for running work and closes the connections; the store is unusable afterwards. */
  close(): Promise<void>;
}
