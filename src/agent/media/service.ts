import { randomUUID } from 'node:crypto';
import { evaluateMedium, type MediaDecision, type MediaMode } from '../../shared/media/evaluate.js';
import type { EnforcementStep, MediaBlockedPayload, MediaFileWrittenPayload, MediaInsertedPayload } from '../../shared/media/events.js';
import type { MediumIdentity } from '../../shared/media/identity.js';
import { DEFAULT_HASH_MAX_BYTES, type MediumRequestSubject, type RegisteredMedium } from '../../shared/media/ledger.js';
import type { PolicyDocument } from '../../shared/policy.js';
import { currentPlatform } from '../collectors/platform.js';
import type { AgentService, ServiceContext } from '../services.js';
import type { PromptAnswer } from '../ui.js';
import { allowedNotice, approvedNotice, deniedPrompt, EJECT_ACTION, ejectedNotice, REQUEST_ACTION, requestedNotice, requestQueuedNotice, requestRefusedNotice } from './prompts.js';
import { mediaSourceFor } from './source.js';
import { TakeOutRecorder, type WrittenFile } from './take-out.js';
import type { MediaSource, Medium } from './types.js';
import { loadUsbEvents, type UsbEvents } from './usb-events.js';
import { DEFAULT_WATCH, MediaWatcher, type MediaChanges, type WatchOptions } from './watch.js';

export interface MediaServiceOptions {
  /** The OS source (tests hand in a fake); default: the one for this platform. */
  source?: MediaSource;
  /** The native hot-plug watcher: 'auto' loads usb-detection when it can (default), null polls only. */
  usbEvents?: UsbEvents | null | 'auto';
  watch?: Partial<Omit<WatchOptions, 'usbEvents' | 'log'>>;
  /** Today on this PC's calendar (validity periods are whole local days). */
  today?: () => string;
  /** Files up to this size are hashed when the policy does not say (default 256 MiB). */
  hashMaxBytes?: number;
  /** Quiet time before a written file is hashed. */
  settleMs?: number;
  /** How often media still plugged in are checked again (a validity period can end while plugged in). */
  recheckMs?: number;
  /** How long start waits for the stored policy before deciding on media already plugged in. */
  policyWaitMs?: number;
}

interface Tracked {
  medium: Medium;
  decision: MediaDecision;
  since: number;
  /** Ejected/unmounted by the agent, and kept so until a policy allows it. */
  blocked: boolean;
  readOnlyEnforced: boolean;
  recorders: Map<string, TakeOutRecorder>;
  prompting: boolean;
  requestId: string | null;
  ejectedByUser: boolean;
  /**
   * Decided, but media.inserted not yet recorded: the OS is still reading its volumes. The
   * decision stands (the key does not depend on them) and a block is enforced already; the event,
   * the prompt and the take-out record wait until the medium is described in full.
   */
  unrecorded: { seen: 'present' | 'arrived'; steps: EnforcementStep[] } | null;
}

/** The local calendar day (validity is in the PC's days, as people read 使用期限). */
export function localToday(now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** An identity small enough for an event, whatever a device reports (at most 16 volumes, 4 mount points each). */
function identityForEvent(identity: MediumIdentity): MediumIdentity {
  return { ...identity, volumes: identity.volumes.slice(0, 16).map((v) => ({ ...v, mountPoints: v.mountPoints.slice(0, 4) })) };
}

const decisionPayload = (d: MediaDecision) => ({ verdict: d.verdict, reason: d.reason, action: d.action, ledgerNumber: d.ledgerNumber, ledgerAmbiguous: d.ledgerAmbiguous });
// Enforced means nothing of it is mounted: a power-off or a hold that failed does not change that.
const unmountedAll = (steps: readonly EnforcementStep[]) => steps.filter((s) => s.step !== 'power-off' && s.step !== 'hold').every((s) => s.ok);

/**
 * Removable-media control (journey 2 of DESIGN.md): watches media come and go, checks each against
 * the registered-media ledger of the signed policy, tells the person at the PC, ejects what the
 * policy blocks and keeps it ejected until an approval arrives in a new policy, records every file
 * written to a medium that is in use (the take-out record), and records every step as an event.
 * All state changes run one at a time.
 */
export class MediaService implements AgentService {
  readonly name = 'media';
  private ctx: ServiceContext | null = null;
  private source: MediaSource | null = null;
  private watcher: MediaWatcher | null = null;
  private mode: MediaMode = 'audit';
  private ledger: readonly RegisteredMedium[] = [];
  private hashMaxBytes: number;
  private readonly tracked = new Map<string, Tracked>();
  private chain: Promise<void> = Promise.resolve();
  private recheckTimer: NodeJS.Timeout | null = null;
  private policySeen = false;
  private policyArrived: (() => void) | null = null;
  private startup: Promise<void> | null = null;
  private readonly today: () => string;

  constructor(private readonly options: MediaServiceOptions = {}) {
    this.today = options.today ?? (() => localToday());
    this.hashMaxBytes = options.hashMaxBytes ?? DEFAULT_HASH_MAX_BYTES;
  }

  async start(ctx: ServiceContext): Promise<void> {
    this.ctx = ctx;
    this.source = this.options.source ?? (await mediaSourceFor(currentPlatform(), ctx.log));
    let usb: UsbEvents | null = null;
    if (this.options.usbEvents === undefined || this.options.usbEvents === 'auto') {
      const loaded = loadUsbEvents();
      if (loaded.ok) usb = loaded.events;
      else ctx.log.warn('removable media: the native USB watcher (usb-detection) is not available; polling instead', { reason: loaded.reason });
    } else usb = this.options.usbEvents;
    const watch = { ...DEFAULT_WATCH, ...this.options.watch };
    const watcher = new MediaWatcher(this.source, (changes) => this.serial(() => this.onChanges(changes)), { ...watch, usbEvents: usb, log: ctx.log });
    this.watcher = watcher;
    const source = this.source;
    const watching = (warmUpMs: number | null) => {
      const live = source.live?.() ?? null;
      const events = live !== null && live.devices && live.mounts;
      ctx.log.info('removable media: watching', {
        source: source.name, usbEvents: usb !== null, usbEventsStarted: watcher.usbEventsStarted(), osEvents: live, pollMs: events ? watch.livePollMs : watch.pollMs, mode: this.mode, ledgerEntries: this.ledger.length, warmUpMs,
      });
    };
    // Media already plugged in are decided under the policy in force: the agent hands over its
    // stored policy right after start, so wait for it briefly (on a first run there is none yet,
    // and the default audit mode applies until the collector's policy arrives).
    const policyKnown = this.policySeen
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          this.policyArrived = resolve;
          setTimeout(resolve, this.options.policyWaitMs ?? 3000).unref();
        });
    this.startup = policyKnown
      .then(() => watcher.start())
      .then(() => this.warmUp())
      .then(watching)
      .catch((error: unknown) => ctx.log.error('removable media: watching could not start', { error: error instanceof Error ? error.message : String(error) }));
    if (this.policySeen) await this.startup;
    const recheck = this.options.recheckMs ?? 60_000;
    const tick = () => {
      this.recheckTimer = setTimeout(() => {
        void this.serial(() => this.reevaluate('recheck')).finally(tick);
      }, recheck);
      this.recheckTimer.unref();
    };
    tick();
  }

  /**
   * Runs the decision path once on made-up media, so that the first medium after the start is
   * decided as fast as the ones after it (under emulation it took ~300 ms longer: first-time work
   * inside the agent, see linux/warm-up.ts). The source lists a made-up stick without touching
   * the OS (MediaSource.warmUp), and it is judged here by the same pure functions as a real one
   * under the policy in force. Nothing is tracked, logged, recorded, shown or enforced. Returns
   * how long it took (ms), or null when the source has no warm-up.
   */
  async warmUp(): Promise<number | null> {
    const source = this.source;
    if (!source?.warmUp || !this.ctx) return null;
    const started = performance.now();
    try {
      // The agent id is read on the first arrival anyway: read it now instead.
      this.agentId ??= await this.ctx.agentId().catch(() => null);
      for (const medium of await source.warmUp()) this.evaluate(medium);
    } catch (error) {
      this.ctx.log.warn('removable media: the warm-up failed (the first medium may be decided more slowly)', { error: error instanceof Error ? error.message : String(error) });
    }
    return Math.round(performance.now() - started);
  }

  async applyPolicy(policy: PolicyDocument): Promise<void> {
    await this.serial(async () => {
      const changed = policy.media.mode !== this.mode || policy.media.registered !== this.ledger;
      this.mode = policy.media.mode;
      this.ledger = policy.media.registered;
      this.hashMaxBytes = policy.media.takeOut?.hashMaxBytes ?? this.options.hashMaxBytes ?? DEFAULT_HASH_MAX_BYTES;
      this.ctx?.log.info('removable media: policy applied', { version: policy.version, mode: this.mode, ledgerEntries: this.ledger.length });
      this.policySeen = true;
      this.policyArrived?.();
      this.policyArrived = null;
      if (changed) await this.reevaluate('policy');
    });
  }

  async stop(): Promise<void> {
    if (this.recheckTimer) clearTimeout(this.recheckTimer);
    this.recheckTimer = null;
    this.policyArrived?.();
    await this.startup;
    await this.watcher?.stop();
    await this.serial(async () => {
      for (const t of this.tracked.values()) {
        await this.stopRecorders(t);
        this.source?.release?.(t.medium);
      }
    });
  }

  /** The media being watched now and what was decided (diagnostics and tests). */
  snapshot(): Array<{ instance: string; key: string; decision: MediaDecision; blocked: boolean; recording: string[] }> {
    return [...this.tracked.values()].map((t) => ({ instance: t.medium.instance, key: t.medium.identity.key, decision: t.decision, blocked: t.blocked, recording: [...t.recorders.keys()] }));
  }

  /** Lists the media now and waits until every change is handled (tests). */
  async settle(): Promise<void> {
    await this.startup;
    await this.watcher?.refreshNow();
    await this.serial(async () => {});
  }

  private serial(work: () => Promise<void>): Promise<void> {
    const next = this.chain.then(work, work);
    this.chain = next.catch((error: unknown) => {
      this.ctx?.log.error('removable media: a step failed', { error: error instanceof Error ? error.message : String(error) });
    });
    return this.chain;
  }

  private evaluate(medium: Medium): MediaDecision {
    const ctx = this.ctx!;
    return evaluateMedium(medium.identity, { mode: this.mode, ledger: this.ledger, osUser: ctx.osUser(), hostname: ctx.hostname(), agentId: this.agentId, today: this.today() });
  }

  private agentId: string | null = null;

  private async onChanges(changes: MediaChanges): Promise<void> {
    const ctx = this.ctx!;
    // Read from the agent's state file once known (a new policy and the periodic re-check read it
    // again): a file read on every arrival would sit between the kernel's event and the decision.
    this.agentId ??= await ctx.agentId().catch(() => null);
    for (const medium of changes.removed) await this.removed(medium);
    for (const { after } of changes.changed) await this.changedFacts(after);
    for (const medium of changes.arrived) await this.arrived(medium, changes.initial);
  }

  private async arrived(medium: Medium, initial: boolean): Promise<void> {
    const ctx = this.ctx!;
    const decision = this.evaluate(medium);
    const seen = initial ? 'present' : 'arrived';
    const t: Tracked = {
      medium, decision, since: Date.now(), blocked: false, readOnlyEnforced: false, recorders: new Map(), prompting: false, requestId: null, ejectedByUser: false,
      unrecorded: medium.pending ? { seen, steps: [] } : null,
    };
    this.tracked.set(medium.instance, t);
    ctx.log.info('removable medium decided', {
      instance: medium.instance, key: medium.identity.key, product: medium.identity.product, serialStatus: medium.identity.serialStatus,
      verdict: decision.verdict, reason: decision.reason, action: decision.action, ledgerNumber: decision.ledgerNumber, mode: this.mode, seen,
      ...(medium.pending ? { volumes: 'pending' } : {}),
    });
    if (t.unrecorded) {
      // Blocked from this moment: held so that it cannot be mounted, and whatever of it gets
      // mounted before it is fully described is unmounted.
      if (decision.action === 'block') {
        t.blocked = true;
        t.unrecorded.steps.push(...this.hold(t));
        await this.unmountWhileUnrecorded(t);
      }
      return;
    }
    await this.recordArrival(t, seen);
  }

  /** media.inserted with the full identity, then the decision's action (prompt, block, take-out record). */
  private async recordArrival(t: Tracked, seen: 'present' | 'arrived', earlier: EnforcementStep[] = []): Promise<void> {
    const ctx = this.ctx!;
    t.unrecorded = null;
    const inserted: MediaInsertedPayload = { medium: identityForEvent(t.medium.identity), instance: t.medium.instance, mode: this.mode, decision: decisionPayload(t.decision), seen };
    // Enforce without waiting for the event to reach the disk: the event is durable either way, the medium must go at once.
    await Promise.all([ctx.record('media.inserted', inserted), this.act(t, 'arrival', earlier)]);
  }

  /** Takes the source's hold on a blocked medium (see MediaSource.hold), and logs how it went. */
  private hold(t: Tracked): EnforcementStep[] {
    const steps = this.source!.hold?.(t.medium) ?? [];
    for (const s of steps) this.ctx!.log[s.ok ? 'info' : 'warn']('removable medium held', { instance: t.medium.instance, target: s.target, ok: s.ok, problem: s.problem });
    return steps;
  }

  /** The medium may be used again: let go of the hold, if any. */
  private unblock(t: Tracked): void {
    t.blocked = false;
    this.source!.release?.(t.medium);
  }

  /** A blocked medium not yet described in full was mounted: unmount it now; the steps go into its media.blocked. */
  private async unmountWhileUnrecorded(t: Tracked): Promise<void> {
    if (!t.unrecorded || !t.medium.identity.volumes.some((v) => v.mountPoints.length > 0)) return;
    const steps = await this.source!.unmount(t.medium);
    // Held only now if the mount came first (a hold fails while something of it is mounted).
    steps.push(...this.hold(t));
    t.unrecorded.steps.push(...steps.slice(0, 32));
    this.ctx!.log.info('removable medium unmounted before it was fully described', { instance: t.medium.instance, steps: steps.map((s) => ({ step: s.step, target: s.target, ok: s.ok, problem: s.problem })) });
    this.watcher?.markStale(t.medium.instance);
  }

  private async removed(medium: Medium): Promise<void> {
    const t = this.tracked.get(medium.instance);
    // Pulled before it was fully described: its insertion is recorded with what is known, so that
    // every removal has its insertion.
    if (t) this.source?.release?.(t.medium);
    if (t?.unrecorded) {
      const { seen } = t.unrecorded;
      t.unrecorded = null;
      await this.ctx!.record('media.inserted', { medium: identityForEvent(t.medium.identity), instance: t.medium.instance, mode: this.mode, decision: decisionPayload(t.decision), seen } satisfies MediaInsertedPayload);
    }
    this.tracked.delete(medium.instance);
    if (t) await this.stopRecorders(t, true);
    this.ctx!.log.info('removable medium removed', { instance: medium.instance, key: medium.identity.key });
    await this.ctx!.record('media.removed', {
      key: medium.identity.key,
      instance: medium.instance,
      product: medium.identity.product,
      ledgerNumber: t?.decision.ledgerNumber ?? null,
      connectedMs: t ? Math.max(0, Date.now() - t.since) : 0,
      ejectedByUser: t?.ejectedByUser ?? false,
    });
  }

  /** Same plug-in, new facts: a volume was mounted or unmounted, or udev completed the identity. */
  private async changedFacts(after: Medium): Promise<void> {
    const t = this.tracked.get(after.instance);
    if (!t) return this.arrived(after, false);
    if (t.unrecorded) {
      t.medium = after;
      if (after.pending) {
        if (t.blocked) await this.unmountWhileUnrecorded(t);
        return;
      }
      // Described in full now. Its key normally stands; should it have changed (another medium
      // with its serial came meanwhile), the decision follows the final key.
      t.decision = this.evaluate(after);
      if (t.decision.action !== 'block') this.unblock(t);
      await this.recordArrival(t, t.unrecorded.seen, t.unrecorded.steps);
      return;
    }
    // A mount point that was not mounted before is a new file system there: a recorder left on the
    // directory underneath must not be kept.
    const before = new Set(t.medium.identity.volumes.flatMap((v) => v.mountPoints));
    for (const point of after.identity.volumes.flatMap((v) => v.mountPoints)) {
      const stale = before.has(point) ? undefined : t.recorders.get(point);
      if (stale) {
        t.recorders.delete(point);
        await stale.stop();
      }
    }
    t.medium = after;
    const decision = this.evaluate(after);
    if (decision.verdict !== t.decision.verdict || decision.action !== t.decision.action) {
      await this.transition(t, decision, 'policy');
      return;
    }
    t.decision = decision;
    const mounted = after.identity.volumes.some((v) => v.mountPoints.length > 0);
    if (t.blocked && mounted) {
      // Blocked media stay blocked, also when mounted again by hand or by the desktop.
      await this.block(t, 'remounted');
      return;
    }
    if (t.readOnlyEnforced && after.identity.volumes.some((v) => v.mountPoints.length > 0 && v.readOnly === false)) {
      await this.act(t, 'remounted');
      return;
    }
    await this.syncRecorders(t);
  }

  /** Checks every medium again (a new policy, or a day passed) and acts on what changed. */
  private async reevaluate(cause: 'policy' | 'recheck'): Promise<void> {
    if (!this.ctx) return;
    // Nothing plugged in: nothing to decide again (and no state file to read every minute while idle).
    if (this.tracked.size === 0 && cause === 'recheck') return;
    this.agentId = await this.ctx.agentId().catch(() => null);
    for (const t of [...this.tracked.values()]) {
      const decision = this.evaluate(t.medium);
      if (t.unrecorded) {
        // Not yet recorded: the new decision is what will be recorded and acted on once it is described.
        t.decision = decision;
        if (decision.action === 'block') {
          t.blocked = true;
          t.unrecorded.steps.push(...this.hold(t));
          await this.unmountWhileUnrecorded(t);
        } else this.unblock(t);
      } else if (decision.verdict !== t.decision.verdict || decision.action !== t.decision.action) await this.transition(t, decision, 'policy');
      else t.decision = decision;
    }
    if (cause === 'policy') this.watcher?.refreshSoon();
  }

  private async transition(t: Tracked, decision: MediaDecision, cause: 'policy'): Promise<void> {
    const ctx = this.ctx!;
    const before = t.decision;
    t.decision = decision;
    ctx.log.info('removable medium decided again', { instance: t.medium.instance, key: t.medium.identity.key, from: before.verdict, to: decision.verdict, reason: decision.reason, action: decision.action, ledgerNumber: decision.ledgerNumber });
    if (before.verdict === 'denied' && decision.verdict !== 'denied') {
      const wasBlocked = t.blocked;
      this.unblock(t);
      await ctx.record('media.approved', {
        key: t.medium.identity.key,
        instance: t.medium.instance,
        product: t.medium.identity.product,
        ledgerNumber: decision.ledgerNumber,
        verdict: decision.verdict,
        previousReason: before.reason,
        requestId: t.requestId,
      });
      const unmounted = !t.medium.identity.volumes.some((v) => v.mountPoints.length > 0);
      ctx.ui.notify(approvedNotice(t.medium.identity, t.medium.instance, decision.ledgerNumber ?? '', ctx.ui.lang(), wasBlocked && unmounted));
      t.requestId = null;
      if (decision.action === 'remount-read-only') await this.act(t, cause);
      else await this.syncRecorders(t);
      return;
    }
    await this.act(t, cause);
  }

  /** Carries out the decision's action for a medium (`earlier`: unmounts already done for it, reported with a block). */
  private async act(t: Tracked, cause: 'arrival' | 'policy' | 'remounted', earlier: EnforcementStep[] = []): Promise<void> {
    const ctx = this.ctx!;
    const lang = ctx.ui.lang();
    switch (t.decision.action) {
      case 'allow':
        this.unblock(t);
        if (cause === 'arrival') ctx.ui.notify(allowedNotice(t.medium.identity, t.medium.instance, t.decision, lang, false));
        await this.syncRecorders(t);
        return;
      case 'record':
        this.unblock(t);
        await this.syncRecorders(t);
        return;
      case 'warn':
        this.unblock(t);
        if (t.decision.verdict === 'read-only') {
          if (cause === 'arrival') ctx.ui.notify(allowedNotice(t.medium.identity, t.medium.instance, t.decision, lang, false));
        } else if (cause !== 'remounted') this.prompt(t, 'warned');
        await this.syncRecorders(t);
        return;
      case 'remount-read-only': {
        this.unblock(t);
        const steps = await this.source!.remountReadOnly(t.medium);
        this.watcher?.markStale(t.medium.instance);
        if (steps.every((s) => s.ok)) {
          t.readOnlyEnforced = true;
          ctx.log.info('removable medium made read-only', { instance: t.medium.instance, steps: steps.length });
          if (cause === 'arrival') ctx.ui.notify(allowedNotice(t.medium.identity, t.medium.instance, t.decision, lang, true));
          await this.syncRecorders(t);
          return;
        }
        await this.block(t, 'read-only-not-enforceable', steps);
        return;
      }
      case 'block':
        await this.block(t, cause === 'arrival' ? 'arrival' : cause, earlier);
        return;
    }
  }

  private async block(t: Tracked, cause: MediaBlockedPayload['cause'], earlier: EnforcementStep[] = []): Promise<void> {
    const ctx = this.ctx!;
    const started = Date.now();
    await this.stopRecorders(t);
    const steps = [...earlier, ...(await this.source!.eject(t.medium))];
    // Unmounted (or never mounted): from now on it cannot be mounted at all while it is held.
    steps.push(...this.hold(t));
    const enforced = unmountedAll(steps.filter((s) => s.step !== 'remount-read-only'));
    const asFound = t.medium.identity;
    t.blocked = true;
    // What the agent knows now, before any listing says it: nothing of it is mounted.
    if (enforced) t.medium = { ...t.medium, identity: { ...t.medium.identity, volumes: t.medium.identity.volumes.map((v) => ({ ...v, mountPoints: [], readOnly: null })) } };
    ctx.log[enforced ? 'info' : 'warn']('removable medium blocked', {
      instance: t.medium.instance, key: t.medium.identity.key, cause, enforced, ms: Date.now() - started,
      steps: steps.map((s) => ({ step: s.step, target: s.target, ok: s.ok, problem: s.problem })),
    });
    await ctx.record('media.blocked', {
      medium: identityForEvent(asFound),
      instance: t.medium.instance,
      mode: this.mode,
      decision: decisionPayload(t.decision),
      cause,
      steps: steps.slice(0, 64),
      enforced,
    } satisfies MediaBlockedPayload);
    if (cause !== 'remounted') this.prompt(t, cause === 'read-only-not-enforceable' ? 'read-only-failed' : enforced ? 'blocked' : 'block-failed');
    // See its state again at the next listing, so that a remount is noticed even when it comes
    // before any listing saw the unmount.
    this.watcher?.markStale(t.medium.instance);
  }

  /** Shows the 使用申請 / 取り外す prompt once per plug-in; the answer is handled when it comes (a person may take minutes). */
  private prompt(t: Tracked, outcome: 'warned' | 'blocked' | 'block-failed' | 'read-only-failed'): void {
    const ctx = this.ctx!;
    if (t.prompting || t.requestId !== null) return;
    t.prompting = true;
    const instance = t.medium.instance;
    const identity = t.medium.identity;
    const prompt = deniedPrompt(identity, instance, t.decision, ctx.ui.lang(), { osUser: ctx.osUser(), outcome });
    void ctx.ui
      .prompt(prompt)
      .catch(() => null)
      .then((answer) => this.serial(() => this.answered(instance, identity, answer)))
      .finally(() => {
        const current = this.tracked.get(instance);
        if (current) current.prompting = false;
      });
  }

  private async answered(instance: string, identity: MediumIdentity, answer: PromptAnswer | null): Promise<void> {
    const ctx = this.ctx!;
    const lang = ctx.ui.lang();
    const t = this.tracked.get(instance);
    if (answer === null) return;
    if (answer.action === EJECT_ACTION) {
      if (!t) return;
      t.ejectedByUser = true;
      const steps = await this.source!.eject(t.medium);
      const ok = unmountedAll(steps);
      ctx.log.info('removable medium ejected at the user\'s request', { instance, ok, steps: steps.map((s) => ({ step: s.step, ok: s.ok, problem: s.problem })) });
      ctx.ui.notify(ejectedNotice(identity, instance, lang, ok));
      return;
    }
    if (answer.action !== REQUEST_ACTION) return;
    const today = this.today();
    const until = answer.request?.until && /^\d{4}-\d{2}-\d{2}$/.test(answer.request.until) && answer.request.until >= today ? answer.request.until : null;
    const reason = (answer.request?.reason ?? '').trim().slice(0, 2000) || '-';
    const id = randomUUID();
    const subject: MediumRequestSubject = { medium: identityForEvent(identity) };
    const result = await ctx.requestApproval({ id, kind: 'media', subject, reason, requestedBy: ctx.osUser(), periodFrom: today, periodTo: until });
    if (result.status === 'refused') {
      ctx.log.warn('removable medium: the collector refused the approval request', { instance, failure: result.failure.kind, message: result.failure.message });
      ctx.ui.notify(requestRefusedNotice(instance, result.failure.message, lang));
      return;
    }
    // Sent, or kept for the next round that reaches the collector: either way it is filed, so the
    // person is not asked again for this plug-in.
    if (t) t.requestId = id;
    ctx.log.info('removable medium: approval requested', { instance, key: identity.key, requestId: id, until, sent: result.status === 'sent' });
    await ctx.record('request.created', { kind: 'media', requestId: id, key: identity.key, product: identity.product, periodTo: until });
    ctx.ui.notify(result.status === 'sent' ? requestedNotice(instance, id, lang) : requestQueuedNotice(instance, id, lang));
  }

  /** Starts the take-out record on every mounted volume of a medium in use; stops it on volumes no longer mounted. */
  private async syncRecorders(t: Tracked): Promise<void> {
    if (t.blocked) return this.stopRecorders(t);
    const wanted = new Map<string, MediumIdentity['volumes'][number]>();
    for (const v of t.medium.identity.volumes) for (const m of v.mountPoints) if (!wanted.has(m)) wanted.set(m, v);
    for (const [mount, recorder] of t.recorders) {
      if (!wanted.has(mount)) {
        t.recorders.delete(mount);
        await recorder.stop({ volumeGone: true });
      }
    }
    for (const [mount, volume] of wanted) {
      if (t.recorders.has(mount) || t.recorders.size >= 16) continue;
      const volumeInfo = { label: volume.label, volumeId: volume.volumeId, mountPoint: mount };
      const instance = t.medium.instance;
      const recorder = new TakeOutRecorder({
        mountPoint: mount,
        hashMaxBytes: this.hashMaxBytes,
        settleMs: this.options.settleMs,
        log: this.ctx!.log,
        onFile: (file) => this.fileWritten(instance, t.medium.identity.key, volumeInfo, file),
        onDropped: async (count) => {
          await this.ctx!.record('media.file_written', { key: t.medium.identity.key, ledgerNumber: this.tracked.get(instance)?.decision.ledgerNumber ?? null, volume: volumeInfo, droppedPaths: count });
        },
      });
      if (recorder.start()) t.recorders.set(mount, recorder);
    }
  }

  private async fileWritten(instance: string, key: string, volume: MediaFileWrittenPayload['volume'], file: WrittenFile): Promise<void> {
    const payload: MediaFileWrittenPayload = {
      key,
      ledgerNumber: this.tracked.get(instance)?.decision.ledgerNumber ?? null,
      volume,
      path: file.path.slice(0, 4096),
      sizeBytes: file.sizeBytes,
      sha256: file.sha256,
      hashSkipped: file.skipped,
      modifiedAt: file.modifiedAt,
    };
    await this.ctx!.record('media.file_written', payload);
  }

  private async stopRecorders(t: Tracked, volumeGone = false): Promise<void> {
    const recorders = [...t.recorders.values()];
    t.recorders.clear();
    await Promise.all(recorders.map((r) => r.stop({ volumeGone })));
  }
}

/** The media service for `features.ts`. */
export function mediaService(options: MediaServiceOptions = {}): MediaService {
  return new MediaService(options);
}
