import { randomUUID } from 'node:crypto';
import type { InventoryDocument } from '../../shared/inventory/index.js';
import type { SoftwareItem } from '../../shared/inventory/software.js';
import { t, type Lang, type MessageKey } from '../../shared/i18n/index.js';
import type { Platform } from '../../shared/platform.js';
import type { PolicyDocument } from '../../shared/policy.js';
import type { CompiledSoftwarePolicy, SoftwareSubject, SoftwareVerdict } from '../../shared/software/evaluate.js';
import { SoftwareDetectedPayload, SoftwareKilledPayload, type SoftwareFinding, type SoftwareRequestSubject } from '../../shared/software/events.js';
import { displayText, normalizeName } from '../../shared/software/normalize.js';
import { checkSoftwarePolicy } from '../../shared/software/validate.js';
import { currentPlatform } from '../collectors/platform.js';
import { runCommand, type CommandRunner } from '../collectors/exec.js';
import type { AgentService, ServiceContext } from '../services.js';
import { ExecutableHasher } from './hash-cache.js';
import { processSource, type ProcessObservation, type ProcessSource } from './processes.js';
import { terminatorFor, type ProcessTerminator } from './terminate.js';
import { ProcessWatcher } from './watcher.js';

export interface SoftwareControlOptions {
  platform?: Platform;
  run?: CommandRunner;
  /** Replaces the OS process source (tests). */
  source?: ProcessSource;
  terminator?: ProcessTerminator;
  hasher?: ExecutableHasher;
}

type Violation = { finding: SoftwareFinding; verdict: SoftwareVerdict; subject: SoftwareRequestSubject };

/** How many of the agent's own pending requests it remembers (to tell the person when one is approved). */
const MAX_PENDING = 200;
/** How many reported (title or process, rule) pairs are remembered, so each is reported once per agent run. */
const MAX_REPORTED = 20_000;

/**
 * Software control (無許可ソフトウェア): judges the installed software of each inventory and
 * every new process against the policy's rules, and acts per the policy's mode — report (event
 * only), notify (event and a notice offering 使用申請), kill (end the process tree, event, notice).
 * Rules are re-validated here; a section that fails is refused and the previous rules stay.
 */
export class SoftwareControlService implements AgentService {
  readonly name = 'software';
  private ctx: ServiceContext | null = null;
  private compiled: CompiledSoftwarePolicy | null = null;
  private policyVersion = 0;
  private watcher: ProcessWatcher | null = null;
  private readonly hasher: ExecutableHasher;
  private terminator: ProcessTerminator | null;
  private source: ProcessSource | null;
  private readonly reportedInstalled = new Set<string>();
  /** The software section of the last inventory, judged again when new rules arrive. */
  private lastInventory: InventoryDocument | null = null;
  private readonly openPrompts = new Set<string>();
  /** Process instances already acted on (with the rule), so a new policy does not report them twice. */
  private readonly reportedProcesses = new Set<string>();
  private readonly pending = new Map<string, string>();
  /** Work started by events (prompts, requests): awaited by `settled` in tests and on stop. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly options: SoftwareControlOptions = {}) {
    this.hasher = options.hasher ?? new ExecutableHasher();
    this.terminator = options.terminator ?? null;
    this.source = options.source ?? null;
  }

  async start(context: ServiceContext): Promise<void> {
    this.ctx = context;
    const platform = this.options.platform ?? currentPlatform();
    const run = this.options.run ?? runCommand;
    this.source ??= await processSource(platform, { run, commandTimeoutMs: 15_000 });
    this.terminator ??= terminatorFor(platform, run);
    this.watcher = new ProcessWatcher(this.source, (fresh, all) => this.onNewProcesses(fresh, all), context.log);
    this.startWatching();
  }

  async applyPolicy(policy: PolicyDocument): Promise<void> {
    const check = checkSoftwarePolicy(policy.software);
    if (!check.ok) {
      // The collector refuses such rules before signing; this is the second line.
      this.ctx?.log.error('software rules refused; the previous rules stay in force', { problems: check.problems.slice(0, 20) });
      await this.ctx?.record('agent.error', { what: 'software-rules-refused', policyVersion: policy.version, problems: check.problems.slice(0, 20) });
      return;
    }
    this.compiled = check.compiled;
    this.policyVersion = policy.version;
    this.announceApprovals(policy);
    // Judge every running process again under the new rules (already reported instances stay quiet).
    this.watcher?.forget();
    this.startWatching();
    // New rules apply to what is installed now, not only from the next inventory on.
    if (this.lastInventory) await this.inventoryCollected(this.lastInventory);
  }

  /** Judges the installed software of a fresh inventory (system and per-user entries alike). */
  async inventoryCollected(doc: InventoryDocument): Promise<void> {
    const items = doc.sections.software;
    if (!items) return;
    this.lastInventory = doc;
    if (!this.compiled || !this.ctx) return;
    for (const item of items) {
      const verdict = this.compiled.evaluate(installedSubject(item));
      if (!verdict.violation) continue;
      const once = `${item.id}|${verdict.rule?.id ?? '-'}|${verdict.status}|${item.version ?? ''}`;
      if (this.reportedInstalled.has(once)) continue;
      if (this.reportedInstalled.size >= MAX_REPORTED) this.reportedInstalled.clear();
      this.reportedInstalled.add(once);
      await this.handleInstalled(item, verdict);
    }
  }

  async stop(): Promise<void> {
    await this.watcher?.stop();
    await this.settled();
  }

  /** One poll of the processes now (tests, and the benchmark). */
  async pollProcesses(): Promise<void> {
    await this.watcher?.poll();
  }

  /** Resolves when a process poll under way, and the prompts and requests started so far, have finished. */
  async settled(): Promise<void> {
    await this.watcher?.idle();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private startWatching(): void {
    if (!this.watcher || !this.compiled) return;
    const policy = this.compiled.policy;
    // Nothing can be a violation: no need to look at processes at all.
    if (policy.rules.every((r) => r.action === 'approve') && policy.stance === 'denylist') return;
    this.watcher.start(policy.processIntervalSec * 1000);
  }

  private async onNewProcesses(fresh: ProcessObservation[], all: ProcessObservation[]): Promise<void> {
    const compiled = this.compiled;
    if (!compiled) return;
    for (const p of fresh) {
      if (p.pid === process.pid) continue;
      const subject: SoftwareSubject = { kind: 'process', names: [p.name], path: p.path };
      if (compiled.usesSha256 && p.path) subject.sha256 = await this.hasher.sha256(p.path, p.hashSource ?? p.path);
      const verdict = compiled.evaluate(subject);
      if (!verdict.violation) continue;
      const once = `${p.key}|${verdict.rule?.id ?? '-'}|${verdict.status}`;
      if (this.reportedProcesses.has(once)) continue;
      if (this.reportedProcesses.size >= MAX_REPORTED) this.reportedProcesses.clear();
      this.reportedProcesses.add(once);
      await this.handleProcess(p, subject, verdict, all);
    }
  }

  private async handleProcess(p: ProcessObservation, subject: SoftwareSubject, verdict: SoftwareVerdict, all: ProcessObservation[]): Promise<void> {
    const ctx = this.ctx!;
    const mode = this.compiled!.policy.mode;
    // In kill mode, end it first: every millisecond counts; the hash for the event comes after
    // (from the file on disk; the cache usually has it already).
    const ending = mode === 'kill' ? await this.terminator!.endTree(p.pid, all) : null;
    let sha256 = subject.sha256 ?? null;
    if (sha256 === null && p.path) sha256 = (await this.hasher.sha256(p.path, p.hashSource ?? p.path)) ?? (await this.hasher.sha256(p.path));
    const finding: SoftwareFinding = {
      source: 'process',
      name: displayText(p.name),
      path: p.path === null ? null : displayText(p.path, 4096),
      sha256,
      version: null,
      publisher: null,
      pid: p.pid,
      user: p.user === null ? null : displayText(p.user, 256),
      itemId: null,
    };
    const base = this.detectedPayload(finding, verdict);
    if (ending) {
      await ctx.record('software.killed', SoftwareKilledPayload.parse({ ...base, killedPids: ending.ended, failedPids: ending.failed }));
    } else {
      await ctx.record('software.detected', base);
    }
    if (mode === 'report') return;
    const violation: Violation = { finding, verdict, subject: requestSubject(finding, verdict) };
    this.offer(violation, ending ? (ending.ended.includes(p.pid) ? 'killed' : 'notify') : 'notify');
  }

  private async handleInstalled(item: SoftwareItem, verdict: SoftwareVerdict): Promise<void> {
    const finding: SoftwareFinding = {
      source: 'installed',
      name: displayText(item.name),
      path: item.installPath ? displayText(item.installPath, 4096) : null,
      sha256: null,
      version: item.version ? displayText(item.version, 256) : null,
      publisher: item.publisher ? displayText(item.publisher) : null,
      pid: null,
      user: null,
      itemId: displayText(item.id),
    };
    await this.ctx!.record('software.detected', this.detectedPayload(finding, verdict));
    if (this.compiled!.policy.mode === 'report') return;
    this.offer({ finding, verdict, subject: requestSubject(finding, verdict) }, 'installed');
  }

  private detectedPayload(finding: SoftwareFinding, verdict: SoftwareVerdict): SoftwareDetectedPayload {
    const policy = this.compiled!.policy;
    return SoftwareDetectedPayload.parse({
      finding,
      status: verdict.status === 'prohibited' ? 'prohibited' : 'unlisted',
      ruleId: verdict.rule?.id ?? null,
      category: verdict.rule?.category ?? null,
      mode: policy.mode,
      stance: policy.stance,
      policyVersion: this.policyVersion,
    });
  }

  /** Shows the notice with 使用申請 (one per title at a time) and files the request if asked. */
  private offer(v: Violation, kind: 'notify' | 'killed' | 'installed'): void {
    const topic = `software:${normalizeName(v.finding.name)}`;
    if (this.openPrompts.has(topic)) return;
    this.openPrompts.add(topic);
    const work = this.prompt(v, kind, topic).finally(() => {
      this.openPrompts.delete(topic);
      this.inFlight.delete(work);
    });
    this.inFlight.add(work);
  }

  private async prompt(v: Violation, kind: 'notify' | 'killed' | 'installed', topic: string): Promise<void> {
    const ctx = this.ctx!;
    const lang = ctx.ui.lang();
    const prohibited = v.verdict.status === 'prohibited';
    const reason = v.verdict.rule?.reason[lang] ?? t(lang, 'software.reason.unlisted');
    const params = { name: v.finding.name, path: v.finding.path ?? '-', reason, version: v.finding.version ?? '' };
    const title: MessageKey =
      kind === 'killed' ? 'software.notice.killed'
      : kind === 'installed' ? (prohibited ? 'software.notice.installedProhibited' : 'software.notice.installedUnlisted')
      : prohibited ? 'software.notice.prohibited' : 'software.notice.unlisted';
    const body: MessageKey = kind === 'killed' ? 'software.notice.bodyKilled' : kind === 'installed' ? 'software.notice.bodyInstalled' : 'software.notice.bodyNotify';
    const answer = await ctx.ui.prompt({
      topic,
      title: t(lang, title),
      body: t(lang, body, params),
      severity: kind === 'killed' || prohibited ? 'critical' : 'warning',
      actions: [
        { id: 'request', label: t(lang, 'software.action.request') },
        { id: 'dismiss', label: t(lang, 'software.action.dismiss') },
      ],
      asksForRequest: true,
    });
    if (answer?.action !== 'request' || !answer.request?.reason.trim()) return;
    await this.fileRequest(v, answer.request.reason.trim(), answer.request.until, lang, topic);
  }

  private async fileRequest(v: Violation, reason: string, until: string | null, lang: Lang, topic: string): Promise<void> {
    const ctx = this.ctx!;
    const id = randomUUID();
    const today = new Date().toISOString().slice(0, 10);
    const periodTo = until && /^\d{4}-\d{2}-\d{2}$/.test(until) ? until : null;
    const result = await ctx.requestApproval({
      id,
      kind: 'software',
      subject: v.subject,
      reason: reason.slice(0, 2000),
      requestedBy: ctx.osUser(),
      periodFrom: today,
      periodTo,
    });
    if (result.status === 'refused') {
      ctx.ui.notify({ topic, title: t(lang, 'software.action.request'), body: t(lang, 'software.request.refused', { name: v.finding.name, message: result.failure.message }), severity: 'warning' });
      return;
    }
    if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
    this.pending.set(id, v.finding.name);
    await ctx.record('request.created', { requestId: id, kind: 'software', subject: v.subject, periodFrom: today, periodTo });
    const body = result.status === 'sent' ? t(lang, 'software.request.sent', { name: v.finding.name }) : t(lang, 'software.request.queued', { name: v.finding.name });
    ctx.ui.notify({ topic, title: t(lang, 'software.action.request'), body, severity: 'info' });
  }

  // An approved request of ours shows up as a rule carrying its id: tell the person.
  private announceApprovals(policy: PolicyDocument): void {
    const ctx = this.ctx;
    if (!ctx || this.pending.size === 0) return;
    for (const rule of policy.software.rules) {
      const requestId = rule.origin?.requestId;
      if (!requestId) continue;
      const name = this.pending.get(requestId);
      if (name === undefined) continue;
      this.pending.delete(requestId);
      const lang = ctx.ui.lang();
      ctx.ui.notify({ topic: `software:${normalizeName(name)}`, title: t(lang, 'software.action.request'), body: t(lang, 'software.request.approved', { name }), severity: 'info' });
      const work = ctx.record('request.decided', { requestId, kind: 'software', decision: 'approved', ruleId: rule.id, policyVersion: policy.version }).finally(() => this.inFlight.delete(work));
      this.inFlight.add(work);
    }
  }
}

/** An installed title as the rules see it: display name and package name / bundle id / family name. */
export function installedSubject(item: SoftwareItem): SoftwareSubject {
  const names = [item.name, item.packageName, item.bundleId, item.packageFamilyName].filter((n): n is string => typeof n === 'string' && n !== '');
  return { kind: 'installed', names, publisher: item.publisher, version: item.version, path: item.installPath };
}

function requestSubject(finding: SoftwareFinding, verdict: SoftwareVerdict): SoftwareRequestSubject {
  return {
    source: finding.source,
    name: finding.name.slice(0, 1024) || '?',
    path: finding.path,
    sha256: finding.sha256,
    version: finding.version,
    publisher: finding.publisher,
    ruleId: verdict.rule?.id ?? null,
  };
}
