import { z } from 'zod';
import { SOFTWARE_CATALOG_NAMES, SOFTWARE_CATALOGS, type SoftwareCatalogName } from '../../shared/software/catalog/index.js';
import type { RuleProblem } from '../../shared/software/evaluate.js';
import { SoftwareRequestSubject } from '../../shared/software/events.js';
import { SoftwareMode, SoftwareStance, type SoftwarePolicy, type SoftwareRule } from '../../shared/software/rules.js';
import { numericVersion } from '../../shared/software/version.js';
import { checkSoftwarePolicy, shapeProblems } from '../../shared/software/validate.js';
import type { ApprovalRequest, Store } from '../store/index.js';
import { updatePolicy, type PolicyContent } from './current.js';
import type { PolicyKeyPair } from './signing.js';

/**
 * Building the software section of the policy on the collector: an admin's rules file (plus the
 * example catalogs they enable) is checked in full — shape, unknown fields, regular expressions,
 * exponential patterns, version ranges, duplicate ids — before anything is signed, so a malformed
 * rule never reaches an agent. Rules added by approved requests are kept across such a change.
 */

/** The rules file an admin writes (`policy set-software --file`). Fields left out keep their current value. */
export const SoftwareRulesFile = z.strictObject({
  mode: SoftwareMode.optional(),
  stance: SoftwareStance.optional(),
  processIntervalSec: z.number().int().min(1).max(3600).optional(),
  /** Example rule sets to add (p2p, remote-access, os-baseline). */
  catalogs: z.array(z.string()).max(20).optional(),
  rules: z.array(z.unknown()).max(10_000).default([]),
});
export type SoftwareRulesFile = z.infer<typeof SoftwareRulesFile>;

export type SoftwareBuild =
  | { ok: true; section: SoftwarePolicy; fromFile: number; fromCatalogs: number; kept: number }
  | { ok: false; problems: RuleProblem[] };

/**
 * The new software section: the file's rules, then the enabled catalogs' rules, then the rules of
 * approved requests in `current` that the file does not replace (same id). Problem paths such as
 * `rules[3].match.name.regex` count the file's rules from 0.
 */
export function buildSoftwareSection(current: SoftwarePolicy, file: unknown, extraCatalogs: readonly string[] = []): SoftwareBuild {
  const parsed = SoftwareRulesFile.safeParse(file);
  if (!parsed.success) return { ok: false, problems: shapeProblems(parsed.error) };
  const names = [...new Set([...(parsed.data.catalogs ?? []), ...extraCatalogs])];
  const unknown = names.filter((n) => !(SOFTWARE_CATALOG_NAMES as string[]).includes(n));
  if (unknown.length > 0) {
    return { ok: false, problems: unknown.map((n) => ({ path: 'catalogs', code: 'shape', detail: `no example rule set named ${n} (available: ${SOFTWARE_CATALOG_NAMES.join(', ')})` })) };
  }
  const catalogRules = names.flatMap((n) => SOFTWARE_CATALOGS[n as SoftwareCatalogName].rules);
  const fileIds = new Set(parsed.data.rules.map((r) => (typeof r === 'object' && r !== null ? (r as { id?: unknown }).id : undefined)));
  const kept = current.rules.filter((r) => r.origin !== undefined && !fileIds.has(r.id));
  const candidate = {
    mode: parsed.data.mode ?? current.mode,
    stance: parsed.data.stance ?? current.stance,
    processIntervalSec: parsed.data.processIntervalSec ?? current.processIntervalSec,
    rules: [...parsed.data.rules, ...catalogRules, ...kept],
  };
  const check = checkSoftwarePolicy(candidate);
  if (!check.ok) return check;
  return { ok: true, section: check.policy, fromFile: parsed.data.rules.length, fromCatalogs: catalogRules.length, kept: kept.length };
}

/** Publishes `section` as the software part of a new signed policy version; returns the version. Audited. */
export async function publishSoftwareSection(store: Store, keys: PolicyKeyPair, section: SoftwarePolicy, actor: string): Promise<number> {
  const saved = await updatePolicy(store, keys, (content) => ({ ...content, software: section }));
  await store.appendAudit({
    actor,
    action: 'policy.software',
    target: `policy:${saved.version}`,
    details: { rules: section.rules.length, mode: section.mode, stance: section.stance, processIntervalSec: section.processIntervalSec },
  });
  return saved.version;
}

/** The id of the rule an approved request adds. */
export function approvalRuleId(requestId: string): string {
  return `approved-${requestId.replace(/[^A-Za-z0-9]/g, '').slice(0, 32)}`;
}

/**
 * The policy effect of an approved software request (申請 → 承認): an approving rule for exactly
 * what was asked for — the title by exact name, plus the executable's SHA-256 for a process, or
 * the publisher and version for an installed title — so it outranks category rules (see the
 * precedence in shared/software/evaluate.ts). Refuses, with a clear message, a request whose
 * subject is unclear or an approval that would not take effect (an equally specific prohibiting
 * rule names the same software: the admin must change that rule instead).
 */
export function approveSoftwareRequest(content: PolicyContent, request: ApprovalRequest): PolicyContent {
  const subject = SoftwareRequestSubject.safeParse(request.subject);
  if (!subject.success) throw new Error(`software request ${request.id} does not say clearly what software it is about: ${subject.error.issues[0]?.message ?? 'invalid'}`);
  const s = subject.data;
  if (content.software.rules.some((r) => r.origin?.requestId === request.id)) return content;
  const match: SoftwareRule['match'] = { name: { exact: s.name } };
  if (s.sha256) match.sha256 = [s.sha256.toLowerCase()];
  else {
    const version = s.version ? numericVersion(s.version) : null;
    if (version) match.version = `=${version.join('.')}`;
    if (s.publisher) match.publisher = { exact: s.publisher };
  }
  const rule: SoftwareRule = {
    id: approvalRuleId(request.id),
    action: 'approve',
    reason: { ja: `使用申請(${request.requestedBy})により承認されました。`, en: `Approved on request of ${request.requestedBy}.` },
    match,
    origin: { requestId: request.id, approvedBy: request.decidedBy ?? '(pending)', approvedAt: request.decidedAt ?? request.createdAt },
  };
  const software = { ...content.software, rules: [...content.software.rules, rule] };
  const check = checkSoftwarePolicy(software);
  if (!check.ok) throw new Error(`the approving rule for request ${request.id} is not valid: ${check.problems.map((p) => `${p.path}: ${p.detail}`).join('; ')}`);
  const verdict = check.compiled.evaluate({ kind: s.source, names: [s.name], path: s.path, sha256: s.sha256, version: s.version, publisher: s.publisher });
  if (verdict.status !== 'approved') {
    throw new Error(`approving request ${request.id} would not take effect: rule ${verdict.rule?.id ?? '?'} prohibits ${s.name} at least as specifically; change or remove that rule instead`);
  }
  return { ...content, software: check.policy };
}
