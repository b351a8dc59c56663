import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hashSecret } from '../../src/collector/auth/agent-keys.js';
import type { ApprovalRequest, Device, EnrollmentSecret, Store, StoredEvent, StoredPolicy } from '../../src/collector/store/index.js';
import type { AgentEvent, EventType } from '../../src/shared/events.js';
import { InventoryDocument, SECTIONS, SECTION_NAMES, hashSection, type InventorySections, type SectionHashes, type SectionName } from '../../src/shared/inventory/index.js';
import type { SoftwareItem } from '../../src/shared/inventory/software.js';
import {
  AGENT_ROUTES,
  EnrollResponse,
  type CreateApprovalRequest,
  type EnrollRequest,
  type InventoryUpload,
} from '../../src/shared/protocol/agent-api.js';
import { sendJson } from './collector-server.js';

// What a test agent sends: built from the recorded inventory of this Debian machine
// (test/fixtures/inventory/), with hostile values (Japanese, long, odd) where they matter.

const FIXTURE = fileURLToPath(new URL('../fixtures/inventory/debian12-vm.json', import.meta.url));

/** The recorded scan (300 software items, 25 processes), validated; a fresh copy on every call. */
export function recordedInventory(): InventoryDocument {
  return InventoryDocument.parse(JSON.parse(readFileSync(FIXTURE, 'utf8')));
}

/** Creates an enrolment secret in the store and returns the secret itself (what goes in the managed config). */
export async function createEnrollSecret(
  store: Store,
  options: { maxUses?: number | null; expiresAt?: string | null; label?: string } = {},
): Promise<string> {
  const secret = `mes_${randomUUID().replaceAll('-', '')}`;
  await store.createEnrollmentSecret({
    secretHash: hashSecret(secret),
    label: options.label ?? '本庁舎 2026 テスト',
    expiresAt: options.expiresAt ?? null,
    maxUses: options.maxUses ?? null,
  });
  return secret;
}

export interface Fingerprint {
  systemUuid: string | null;
  serial: string | null;
  primaryMac: string | null;
}

/** A distinct, plausible hardware fingerprint. */
export function newFingerprint(): Fingerprint {
  const hex = randomUUID().replaceAll('-', '');
  return {
    systemUuid: randomUUID().toUpperCase(),
    serial: `JP${hex.slice(0, 8).toUpperCase()}`,
    primaryMac: `3c:52:${hex.slice(8, 10)}:${hex.slice(10, 12)}:${hex.slice(12, 14)}:${hex.slice(14, 16)}`,
  };
}

export function enrollBody(secret: string, overrides: Partial<EnrollRequest> = {}): EnrollRequest {
  return {
    enrollSecret: secret,
    fingerprint: newFingerprint(),
    hostname: '総務課-PC014',
    platform: 'linux',
    osName: 'Debian GNU/Linux 12 (bookworm)',
    agentVersion: '0.1.0',
    ...overrides,
  };
}

export interface EnrolledAgent {
  agentId: string;
  agentKey: string;
  policyPublicKey: string;
  reenrolled: boolean;
  /** `{ authorization: 'Bearer id.key' }` */
  auth: Record<string, string>;
}

export function bearer(agentId: string, agentKey: string): Record<string, string> {
  return { authorization: `Bearer ${agentId}.${agentKey}` };
}

/** Enrols over HTTP; throws unless the collector answers 200 with a valid EnrollResponse. */
export async function enrollAgent(baseUrl: string, body: EnrollRequest): Promise<EnrolledAgent> {
  const reply = await sendJson(baseUrl, AGENT_ROUTES.enroll, body);
  if (reply.status !== 200) throw new Error(`enrolment answered ${reply.status}: ${reply.text}`);
  const parsed = EnrollResponse.parse(reply.json);
  return { ...parsed, auth: bearer(parsed.agentId, parsed.agentKey) };
}

/** The hash of every section of a scan, as the agent reports them. */
export function hashesOf(sections: InventorySections): SectionHashes {
  const hashes: SectionHashes = {};
  for (const name of SECTION_NAMES) {
    const data = sections[name];
    if (data !== undefined) hashes[name] = hashSection(name, data);
  }
  return hashes;
}

/** An upload claiming every section's hash and carrying the data of `send` (all sections when omitted). */
export function inventoryUpload(sections: InventorySections, send: readonly SectionName[] = SECTION_NAMES): InventoryUpload {
  const carried: Record<string, unknown> = {};
  for (const name of send) if (sections[name] !== undefined) carried[name] = sections[name];
  return {
    collectedAt: new Date().toISOString(),
    agentVersion: '0.1.0',
    hashes: hashesOf(sections),
    sections: carried as InventorySections,
  };
}

/** Names of the sections a collector keeps (not volatile) that are present in `sections`. */
export function storedSectionNames(sections: InventorySections): SectionName[] {
  return SECTION_NAMES.filter((name) => sections[name] !== undefined && !SECTIONS[name].volatile);
}

/** A dpkg software item shaped like the Linux collector reports it. */
export function dpkgItem(name: string, version: string, extra: Partial<SoftwareItem> = {}): SoftwareItem {
  return {
    id: `dpkg:${name}`,
    name,
    version,
    publisher: null,
    installDate: '2026-11-20',
    source: 'dpkg',
    scope: 'system',
    arch: 'amd64',
    installPath: null,
    msiProductCode: null,
    msiUpgradeCode: null,
    packageFamilyName: null,
    bundleId: null,
    packageName: name,
    ...extra,
  };
}

let eventClock = Date.parse('2026-11-02T09:00:00.000Z');

/** An event as the agent records it (payload shaped like a media insertion). */
export function agentEvent(type: EventType = 'media.inserted', id: string = randomUUID()): AgentEvent {
  eventClock += 1_000;
  return {
    id,
    type,
    occurredAt: new Date(eventClock).toISOString(),
    osUser: '山田 太郎',
    payload: { vendorId: '0781', productId: '5581', serial: '4C530001230712116425', label: '総務課USB', fileSystem: 'exfat' },
  };
}

export function approvalRequestBody(overrides: Partial<CreateApprovalRequest> = {}): CreateApprovalRequest {
  return {
    id: randomUUID(),
    kind: 'media',
    subject: { vendorId: '0781', productId: '5581', serial: '4C530001230712116425', label: '総務課USB' },
    reason: '住民説明会の資料を会場のPCへ持ち出すため',
    requestedBy: 'yamada.taro',
    periodFrom: '2026-11-10',
    periodTo: '2026-11-12',
    ...overrides,
  };
}

export interface StoreSnapshot {
  devices: Device[];
  /** Per device, in the order of `devices`: its section hashes and how many history entries it has. */
  perDevice: { hashes: SectionHashes; changes: number }[];
  events: StoredEvent[];
  requests: ApprovalRequest[];
  secrets: EnrollmentSecret[];
  policy: StoredPolicy | null;
}

/** Everything the agent API can change, read back through the store: equal snapshots mean nothing was stored. */
export async function storeSnapshot(store: Store): Promise<StoreSnapshot> {
  const devices = await store.listDevices();
  const perDevice = await Promise.all(
    devices.map(async (d) => ({
      hashes: await store.getSectionHashes(d.id),
      changes: (await store.listChanges(d.id, { limit: 1000 })).length,
    })),
  );
  return {
    devices,
    perDevice,
    events: await store.listEvents({ limit: 1000 }),
    requests: await store.listApprovalRequests({ limit: 1000 }),
    secrets: await store.listEnrollmentSecrets(),
    policy: await store.getCurrentPolicy(),
  };
}
