import { setTimeout as sleepFor } from 'node:timers/promises';
import { AgentEvent, type EventType } from '../shared/events.js';
import { canonicalOrder } from '../shared/canonical.js';
import { SECTIONS, SECTION_NAMES, softwareChange, type InventoryDocument, type SectionHashes, type SectionName, type SoftwareItem } from '../shared/inventory/index.js';
import { DEFAULT_POLICY, type PolicyDocument } from '../shared/policy.js';
import type { ZodType } from 'zod';
import { t } from '../shared/i18n/index.js';
import { CreateApprovalRequest, InventoryUpload, type SoftwareDelta, type HardwareFingerprint } from '../shared/protocol/agent-api.js';
import { currentPlatform } from './collectors/platform.js';
import type { AgentConfig } from './config/managed.js';
import { uuidv7 } from './ids.js';
import type { AgentLog } from './log.js';
import type { AgentService, ApprovalFiling, ServiceContext } from './services.js';
import { loggingUserInterface, type UserInterface } from './ui.js';
import { hostname as osHostname } from 'node:os';
import { FULL_INVENTORY_KEY, eventItem, inventoryItem, requestItem, type Outbox, type OutboxItem } from './outbox/index.js';
import { verifySignedPolicy } from './policy/verify.js';
import { Backoff } from './sync/backoff.js';
import type { AgentCredentials, CollectorClient } from './sync/client.js';
import type { SyncFailure, SyncResult } from './sync/failure.js';
import type { Acknowledged, AgentIdentity, AgentState } from './sync/state.js';
import { AGENT_VERSION } from './version.js';

export interface AgentOptions {
  config: AgentConfig;
  client: CollectorClient;
  state: AgentState;
  outbox: Outbox;
  /** Collects the inventory (all sections, or the ones named). */
  scan: (sections?: readonly SectionName[]) => Promise<InventoryDocument>;
  log: AgentLog;
  /** The OS user at the PC, for events. */
  osUser?: () => string | null;
  /** Told when a newly verified policy is applied. */
  onPolicy?: (policy: PolicyDocument) => void;
  /** Features that run inside the agent (removable media, software control). */
  services?: readonly AgentService[];
  /** The person at the PC; headless by default. */
  ui?: UserInterface;
  /** This PC's host name. */
  hostname?: () => string;
  random?: () => number;
}

/** What one sync round did; `delivered` is what `run --once` exits on. */
export interface RoundReport {
  enrolment: 'kept' | 'enrolled' | 'failed';
  inventory: 'queued' | 'not-collected';
  eventsDelivered: number;
  eventsRejected: number;
  inventoriesDelivered: number;
  /** Approval requests (申請) that had waited in the outbox and reached the collector this round. */
  requestsDelivered: number;
  /** Items dropped because the collector refuses them for good (logged); the round is then not "delivered". */
  dropped: number;
  policy: 'updated' | 'current' | 'refused' | 'not-checked';
  /** Items still in the outbox after the round. */
  pending: number;
  failure: SyncFailure | null;
  delivered: boolean;
}

const PEEK_ITEMS = 1000;
const PEEK_BYTES = 8 * 1024 * 1024;
const MAX_BATCHES_PER_ROUND = 200;
const FINGERPRINT_SECTIONS: readonly SectionName[] = ['system', 'network', 'os'];
/** Items a software change may touch however short the list; beyond that and a quarter of the list, the whole list goes. */
const SMALL_SOFTWARE_CHANGE = 16;
/** A wall-clock jump this much longer than the sleep means the PC was asleep. */
const RESUME_SLACK_MS = 2 * 60_000;

/**
 * Whether the collector refused a request itself (malformed, or not this device's), so that
 * sending it again cannot help; anything else (unreachable, busy, an enrolment to sort out) can.
 */
function refusedForGood(failure: SyncFailure): boolean {
  return failure.kind === 'bad-request' || failure.kind === 'forbidden';
}

/** A round report for logs: the failure reduced to its kind and message. */
export function summarizeRound(report: RoundReport): Record<string, unknown> {
  return { ...report, failure: report.failure ? { kind: report.failure.kind, message: report.failure.message } : null };
}

/**
 * The agent core's orchestrator: collects the inventory, keeps everything in the durable outbox,
 * enrols, delivers (changed sections only, events in batches), and applies signed policies.
 * Plain Node: the Electron shell and the headless CLI hand it the same adapters.
 */
export class Agent {
  private lastScan: InventoryDocument | null = null;
  /** Set by a (re-)enrolment: the collector holds nothing for this agent id, so send a full inventory. */
  private inventoryWanted = false;
  private readonly random: () => number;
  private ui: UserInterface | undefined;

  constructor(private readonly options: AgentOptions) {
    this.random = options.random ?? Math.random;
  }

  /** Records an event durably (it reaches the collector whenever the network allows). */
  async record(type: EventType, payload: Record<string, unknown>, occurredAt: Date = new Date()): Promise<AgentEvent> {
    const event = AgentEvent.parse({ id: uuidv7(occurredAt.getTime()), type, occurredAt: occurredAt.toISOString(), osUser: this.options.osUser?.() ?? null, payload });
    await this.options.outbox.enqueue(eventItem(event));
    return event;
  }

  /**
   * Files an approval request (申請) with the collector now, enrolling first if needed. When the
   * collector cannot be reached (or cannot take it now), the request is kept in the durable outbox
   * and sent by a later round: a person who asked must not have to ask again because the PC was
   * offline.
   */
  async requestApproval(request: CreateApprovalRequest): Promise<ApprovalFiling> {
    const enrolled = await this.ensureEnrolled();
    const result = enrolled.ok ? await this.authed((auth) => this.options.client.createRequest(auth, request)) : enrolled;
    if (result.ok) return { status: 'sent', view: result.value };
    if (refusedForGood(result.failure)) return { status: 'refused', failure: result.failure };
    try {
      await this.options.outbox.enqueue(requestItem(request));
    } catch (error) {
      // The outbox is full of security items (offline for a very long time): it cannot be kept either.
      this.options.log.error('approval request could neither be sent nor kept', { requestId: request.id, failure: result.failure.kind, error: error instanceof Error ? error.message : String(error) });
      return { status: 'refused', failure: result.failure };
    }
    this.options.log.info('approval request kept until the collector can be reached', { requestId: request.id, failure: result.failure.kind, message: result.failure.message });
    return { status: 'queued', failure: result.failure };
  }

  private userInterface(): UserInterface {
    return (this.ui ??= this.options.ui ?? loggingUserInterface((line) => this.options.log.info('ui', line), 'ja'));
  }

  /** What the agent's features are handed. */
  serviceContext(): ServiceContext {
    const ui = this.userInterface();
    return {
      record: (type, payload, occurredAt) => this.record(type, payload, occurredAt),
      requestApproval: (request) => this.requestApproval(request),
      ui,
      log: this.options.log,
      osUser: () => this.options.osUser?.() ?? null,
      hostname: () => this.options.hostname?.() ?? osHostname(),
      agentId: async () => (await this.options.state.identity())?.agentId ?? null,
    };
  }

  /** Tells every feature about the policy in force; a feature that fails is logged, not fatal. */
  private async applyPolicyToServices(policy: PolicyDocument): Promise<void> {
    for (const service of this.options.services ?? []) {
      try {
        await service.applyPolicy(policy);
      } catch (error) {
        this.options.log.error('a feature could not apply the policy', { service: service.name, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }

  /** Hands a fresh inventory to the features that judge it (software control); a feature that fails is logged, not fatal. */
  private async tellServicesAboutInventory(doc: InventoryDocument): Promise<void> {
    for (const service of this.options.services ?? []) {
      if (!service.inventoryCollected) continue;
      try {
        await service.inventoryCollected(doc);
      } catch (error) {
        this.options.log.error('a feature could not judge the inventory', { service: service.name, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }

  /** Scans and queues the full inventory; the delivery sends only what the collector lacks. */
  async collectInventory(): Promise<InventoryDocument> {
    const doc = await this.options.scan();
    this.lastScan = doc;
    for (const error of doc.errors) this.options.log.warn('inventory section not collected', { section: error.section, code: error.code, message: error.message });
    await this.tellServicesAboutInventory(doc);
    const stable = SECTION_NAMES.filter((name) => !SECTIONS[name].volatile);
    const hashes: SectionHashes = {};
    const sections: Record<string, unknown> = {};
    for (const name of stable) {
      if (doc.sections[name] === undefined || !doc.hashes[name]) continue;
      hashes[name] = doc.hashes[name];
      sections[name] = doc.sections[name];
    }
    const payload: InventoryUpload = { collectedAt: doc.collectedAt, agentVersion: AGENT_VERSION, hashes, sections };
    await this.options.outbox.enqueue(inventoryItem(payload, { coalesceKey: FULL_INVENTORY_KEY }));
    return doc;
  }

  /**
   * One round: optionally collect the inventory, then enrol if needed, deliver the outbox and
   * check the policy. Never throws for network or server trouble: the report says what happened.
   */
  async round(options: { collect: boolean }): Promise<RoundReport> {
    const report: RoundReport = {
      enrolment: 'kept',
      inventory: 'not-collected',
      eventsDelivered: 0,
      eventsRejected: 0,
      inventoriesDelivered: 0,
      requestsDelivered: 0,
      dropped: 0,
      policy: 'not-checked',
      pending: 0,
      failure: null,
      delivered: false,
    };
    if (options.collect) {
      await this.collectInventory();
      report.inventory = 'queued';
    }
    const enrolled = await this.ensureEnrolled();
    if (!enrolled.ok) {
      report.enrolment = 'failed';
      report.failure = enrolled.failure;
    } else {
      if (enrolled.value.fresh) report.enrolment = 'enrolled';
      if (options.collect) this.inventoryWanted = false;
      report.failure = await this.deliverOutbox(report);
      if (!report.failure && this.inventoryWanted) {
        // Enrolled again during this round (the collector had lost this agent): it holds none of
        // our inventory, so queue a fresh one and deliver it now.
        this.inventoryWanted = false;
        await this.collectInventory();
        report.inventory = 'queued';
        report.failure = await this.deliverOutbox(report);
      }
      report.failure ??= await this.checkPolicy(report);
    }
    report.pending = this.options.outbox.size().count;
    report.delivered = report.failure === null && report.pending === 0 && report.dropped === 0 && (report.policy === 'current' || report.policy === 'updated');
    return report;
  }

  /**
   * Runs until `signal` aborts: rounds on the policy's schedule (inventory hourly ±splay by
   * default), backoff with jitter after failures (honouring Retry-After), an inventory at once
   * after resume from sleep and when the network comes back.
   */
  async run(signal: AbortSignal, options: { startupDelayMaxMs?: number } = {}): Promise<void> {
    const { log } = this.options;
    const backoff = new Backoff(this.random);
    await this.record('agent.started', { version: AGENT_VERSION });
    const context = this.serviceContext();
    for (const service of this.options.services ?? []) {
      try {
        await service.start(context);
      } catch (error) {
        log.error('a feature could not start', { service: service.name, error: error instanceof Error ? error.message : String(error) });
      }
    }
    const stored = await this.options.state.appliedPolicy();
    if (stored) await this.applyPolicyToServices(stored.document);
    await this.sleep(Math.floor(this.random() * (options.startupDelayMaxMs ?? 0)), signal);
    let nextInventoryAt = 0;
    let lastFailure: SyncFailure | null = null;
    while (!signal.aborted) {
      const schedule = (await this.options.state.appliedPolicy())?.document.schedule ?? DEFAULT_POLICY.schedule;
      const collect = Date.now() >= nextInventoryAt;
      let report: RoundReport;
      try {
        report = await this.round({ collect });
      } catch (error) {
        // A local fault (disk full, outbox refused): log it and try again later.
        log.error('sync round failed', { error: error instanceof Error ? error.message : String(error) });
        report = {
          enrolment: 'failed', inventory: 'not-collected', eventsDelivered: 0, eventsRejected: 0, inventoriesDelivered: 0, requestsDelivered: 0,
          dropped: 0, policy: 'not-checked', pending: this.options.outbox.size().count, delivered: false,
          failure: { kind: 'network', reason: 'aborted', code: null, message: error instanceof Error ? error.message : String(error) },
        };
      }
      log.info('round finished', summarizeRound(report));
      if (collect) {
        const spread = 1 + schedule.splay * (2 * this.random() - 1);
        nextInventoryAt = Date.now() + schedule.inventoryIntervalSec * 1000 * spread;
      }
      if (report.failure) {
        log.warn('collector not reached; will retry', { failure: report.failure.kind, message: report.failure.message, pending: report.pending });
      } else if (lastFailure?.kind === 'network') {
        log.info('network is back: collecting the inventory now');
        nextInventoryAt = 0;
      }
      const wait = report.failure
        ? backoff.failed(report.failure.kind === 'rate-limited' ? report.failure.retryAfterMs : null)
        : (backoff.succeeded(), schedule.syncIntervalSec * 1000);
      lastFailure = report.failure;
      const planned = Math.max(0, Math.min(wait, nextInventoryAt - Date.now()));
      const before = Date.now();
      await this.sleep(planned, signal);
      if (Date.now() - before > planned + RESUME_SLACK_MS) {
        log.info('resumed from sleep: collecting the inventory now');
        nextInventoryAt = 0;
      }
    }
    for (const service of this.options.services ?? []) await service.stop().catch(() => {});
    await this.record('agent.stopped', {}).catch(() => {});
  }

  private async sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (ms <= 0 || signal.aborted) return;
    await sleepFor(ms, undefined, { signal }).catch(() => {});
  }

  private async fingerprint(): Promise<{ fingerprint: HardwareFingerprint; hostname: string; osName: string | null }> {
    const doc = this.lastScan ?? (await this.options.scan(FINGERPRINT_SECTIONS));
    const system = doc.sections.system;
    const interfaces = doc.sections.network?.interfaces ?? [];
    const primary = interfaces.find((i) => i.isDefault && i.mac) ?? interfaces.find((i) => !i.virtual && i.mac);
    const mac = primary?.mac && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(primary.mac) && primary.mac !== '00:00:00:00:00:00' ? primary.mac : null;
    return {
      fingerprint: { systemUuid: system?.uuid ?? null, serial: system?.serial ?? null, primaryMac: mac },
      hostname: doc.sections.os?.hostname ?? 'unknown',
      osName: doc.sections.os?.name ?? null,
    };
  }

  private async ensureEnrolled(force = false): Promise<SyncResult<AgentIdentity & { fresh: boolean }>> {
    const { state, client, config, log } = this.options;
    const existing = force ? null : await state.identity();
    if (existing && existing.serverUrl === config.serverUrl) return { ok: true, value: { ...existing, fresh: false } };
    const facts = await this.fingerprint();
    const result = await client.enroll({
      enrollSecret: config.enrollSecret,
      fingerprint: facts.fingerprint,
      hostname: facts.hostname.slice(0, 255),
      platform: this.lastScan?.platform ?? currentPlatform(),
      osName: facts.osName,
      agentVersion: AGENT_VERSION,
    });
    if (!result.ok) return result;
    const identity: AgentIdentity = {
      agentId: result.value.agentId,
      agentKey: result.value.agentKey,
      policyPublicKey: result.value.policyPublicKey,
      serverUrl: config.serverUrl,
      enrolledAt: new Date().toISOString(),
    };
    await state.saveIdentity(identity);
    this.inventoryWanted = true;
    log.info('enrolled', { agentId: identity.agentId, reenrolled: result.value.reenrolled });
    return { ok: true, value: { ...identity, fresh: true } };
  }

  /** Calls the collector with the credentials; enrols again once when it says the key is unknown. */
  private async authed<T>(call: (auth: AgentCredentials) => Promise<SyncResult<T>>): Promise<SyncResult<T>> {
    const identity = await this.options.state.identity();
    if (!identity) {
      const enrolled = await this.ensureEnrolled(true);
      if (!enrolled.ok) return enrolled;
      return call(enrolled.value);
    }
    const first = await call(identity);
    if (first.ok || first.failure.kind !== 'unauthorized' || !first.failure.reenroll) return first;
    this.options.log.warn('the collector does not know this agent any more: enrolling again');
    await this.options.state.forgetIdentity();
    const enrolled = await this.ensureEnrolled(true);
    if (!enrolled.ok) return enrolled;
    return call(enrolled.value);
  }

  /**
   * Delivers queued items oldest first (security items first, approval requests before events);
   * stops at the first failure and returns it.
   */
  private async deliverOutbox(report: RoundReport): Promise<SyncFailure | null> {
    const { outbox, log } = this.options;
    for (let batch = 0; batch < MAX_BATCHES_PER_ROUND; batch++) {
      const items = await outbox.peek(PEEK_ITEMS, PEEK_BYTES);
      if (items.length === 0) return null;
      for (const item of items.filter((i) => i.kind === 'request')) {
        const failure = await this.deliverRequest(item, report);
        if (failure) return failure;
      }
      const events = items.filter((i) => i.kind === 'event');
      if (events.length > 0) {
        const failure = await this.deliverEvents(events, report);
        if (failure) return failure;
      }
      for (const item of items.filter((i) => i.kind === 'inventory')) {
        const failure = await this.deliverInventory(item, report);
        if (failure) return failure;
      }
    }
    log.warn('outbox not emptied in one round; continuing next round', { pending: outbox.size().count });
    return null;
  }

  private async deliverEvents(items: OutboxItem[], report: RoundReport): Promise<SyncFailure | null> {
    const { outbox, client, log } = this.options;
    const valid: AgentEvent[] = [];
    const broken: string[] = [];
    for (const item of items) {
      const parsed = AgentEvent.safeParse(item.payload);
      if (parsed.success) valid.push(parsed.data);
      else broken.push(item.id);
    }
    // Cannot ever be delivered: drop them rather than block every later event.
    if (broken.length) await this.drop(broken, report, 'dropping events the protocol refuses', { ids: broken });
    if (valid.length === 0) return null;
    const result = await this.authed((auth) => client.sendEvents(auth, { events: valid }));
    if (!result.ok) {
      if (result.failure.kind === 'bad-request' && result.failure.status !== null && valid.length > 1) {
        // One event the collector refuses must not hold back the rest: send them one by one.
        for (const event of valid) {
          const single = await this.authed((auth) => client.sendEvents(auth, { events: [event] }));
          if (single.ok) {
            await outbox.ack([...single.value.acknowledged, ...single.value.rejected.map((r) => r.id)]);
            report.eventsDelivered += single.value.acknowledged.length;
            report.eventsRejected += single.value.rejected.length;
            report.dropped += single.value.rejected.length;
          } else if (single.failure.kind === 'bad-request') {
            await this.drop([event.id], report, 'the collector refused an event; dropping it', { id: event.id, message: single.failure.message });
          } else {
            return single.failure;
          }
        }
        return null;
      }
      return result.failure;
    }
    const { acknowledged, rejected } = result.value;
    for (const r of rejected) log.error('the collector rejected an event', { id: r.id, reason: r.reason });
    await outbox.ack([...acknowledged, ...rejected.map((r) => r.id)]);
    report.eventsDelivered += acknowledged.length;
    report.eventsRejected += rejected.length;
    report.dropped += rejected.length;
    return null;
  }

  /** Removes queued items that can never be delivered (the protocol or the collector refuses them for good): logged and counted. */
  private async drop(ids: string[], report: RoundReport, message: string, details: Record<string, unknown>): Promise<void> {
    this.options.log.error(message, details);
    await this.options.outbox.ack(ids);
    report.dropped += ids.length;
  }

  /** A queued item's payload read with its schema; one the protocol refuses can never be delivered, so it is dropped (null). */
  private async payloadOf<T>(schema: ZodType<T>, item: OutboxItem, report: RoundReport, what: string): Promise<T | null> {
    const parsed = schema.safeParse(item.payload);
    if (parsed.success) return parsed.data;
    await this.drop([item.id], report, `dropping a queued ${what} the protocol refuses`, { id: item.id });
    return null;
  }

  /** Sends an approval request that waited in the outbox, and tells the person what became of it. */
  private async deliverRequest(item: OutboxItem, report: RoundReport): Promise<SyncFailure | null> {
    const { outbox, client, log } = this.options;
    const request = await this.payloadOf(CreateApprovalRequest, item, report, 'approval request');
    if (!request) return null;
    const result = await this.authed((auth) => client.createRequest(auth, request));
    if (!result.ok && !refusedForGood(result.failure)) return result.failure;
    const ui = this.userInterface();
    const lang = ui.lang();
    const topic = `request:${request.id}`;
    if (result.ok) {
      await outbox.ack([item.id]);
      report.requestsDelivered += 1;
      log.info('a kept approval request reached the collector', { requestId: request.id, kind: request.kind });
      ui.notify({ topic, title: t(lang, 'request.sentLater.title'), body: t(lang, 'request.sentLater.body', { id: request.id }), severity: 'info' });
    } else {
      await this.drop([item.id], report, 'the collector refused a kept approval request; dropping it', { requestId: request.id, message: result.failure.message });
      ui.notify({ topic, title: t(lang, 'request.refusedLater.title'), body: t(lang, 'request.refusedLater.body', { id: request.id, message: result.failure.message }), severity: 'warning' });
    }
    return null;
  }

  private async deliverInventory(item: OutboxItem, report: RoundReport): Promise<SyncFailure | null> {
    const { outbox, state, client } = this.options;
    const full = await this.payloadOf(InventoryUpload, item, report, 'inventory');
    if (!full) return null;
    const acknowledged = await state.acknowledged();
    let wanted = SECTION_NAMES.filter((n) => full.hashes[n] !== undefined && full.hashes[n] !== acknowledged.hashes[n]);
    const software = full.sections.software ?? null;
    let softwareDelta = wanted.includes('software') ? this.softwareDeltaFor(acknowledged, software) : null;
    // Send what changed; the collector answers with what it still lacks (a full resend when it lost everything).
    for (let attempt = 0; attempt < 3; attempt++) {
      const sections: Record<string, unknown> = {};
      // Canonical key order: the collector can then check each hash without canonicalising again.
      for (const name of wanted) if (!(softwareDelta && name === 'software')) sections[name] = canonicalOrder(full.sections[name]);
      const upload = { ...full, sections, ...(softwareDelta ? { softwareDelta } : {}) };
      const result = await this.authed((auth) => client.uploadInventory(auth, upload));
      if (!result.ok) {
        if (result.failure.kind === 'bad-request' && result.failure.status !== null) {
          await this.drop([item.id], report, 'the collector refused the inventory; dropping it', { message: result.failure.message });
          return null;
        }
        return result.failure;
      }
      if (result.value.resend.length === 0) {
        await state.saveAcknowledgedHashes(full.hashes, software);
        await outbox.ack([item.id]);
        report.inventoriesDelivered += 1;
        return null;
      }
      // What it lacks goes whole (also software, when a change of it did not apply).
      wanted = result.value.resend.filter((n) => full.sections[n] !== undefined);
      softwareDelta = null;
    }
    return { kind: 'invalid-response', status: null, message: 'the collector kept asking for sections it was sent' };
  }

  /**
   * The software list as a change of the one the collector acknowledged, when that is known and
   * the change is small (an update or two, not a reinstall); null to send the whole list.
   */
  private softwareDeltaFor(acknowledged: Acknowledged, software: SoftwareItem[] | null): SoftwareDelta | null {
    if (!software || !acknowledged.software || !acknowledged.hashes.software) return null;
    const change = softwareChange(acknowledged.software, software);
    if (!change || change.upsert.length + change.remove.length > Math.max(SMALL_SOFTWARE_CHANGE, software.length / 4)) return null;
    return { base: acknowledged.hashes.software, upsert: canonicalOrder(change.upsert), remove: change.remove };
  }

  private async checkPolicy(report: RoundReport): Promise<SyncFailure | null> {
    const { state, client, log } = this.options;
    const applied = await state.appliedPolicy();
    const result = await this.authed((auth) => client.getPolicy(auth, applied?.etag ?? null));
    if (!result.ok) return result.failure;
    if (result.value.notModified) {
      report.policy = applied ? 'current' : 'refused';
      return null;
    }
    const identity = await state.identity();
    if (!identity) return { kind: 'invalid-response', status: null, message: 'not enrolled' };
    const verified = verifySignedPolicy(result.value.signed, identity.policyPublicKey, applied?.document.version ?? null);
    if (!verified.ok) {
      log.error('refusing a policy that fails verification', { refusal: verified.refusal, message: verified.message });
      report.policy = 'refused';
      await this.record('agent.error', { what: 'policy-refused', refusal: verified.refusal });
      return null;
    }
    await state.saveAppliedPolicy(verified.signed, result.value.etag);
    report.policy = applied?.document.version === verified.policy.version ? 'current' : 'updated';
    if (report.policy === 'updated') {
      log.info('policy applied', { version: verified.policy.version });
      this.options.onPolicy?.(verified.policy);
      await this.applyPolicyToServices(verified.policy);
    }
    return null;
  }
}
