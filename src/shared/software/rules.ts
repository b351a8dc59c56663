import { z } from 'zod';

/**
 * The software section of the policy: what counts as 許可ソフトウェア (approved) and
 * 禁止ソフトウェア (prohibited), and what the agent does about 無許可ソフトウェア.
 *
 * Shapes are strict: an unknown field is refused (a typo such as `nmae` must not silently turn a
 * rule into one that matches everything). Deep checks (regular expressions, version ranges,
 * duplicate ids) are in validate.ts, run when the collector builds a policy and again on the agent.
 */

/** Rule ids appear in events and in approvals; plain ASCII so that they survive every log. */
export const RuleId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$/, 'letters, digits and . _ : - (at most 80, starting with a letter or digit)');

const Pattern = z.string().min(1).max(512);
const PatternList = z.union([Pattern, z.array(Pattern).min(1).max(500)]);

/**
 * How a text field is matched. Exactly one of:
 * - `exact`: equal after normalisation (NFKC, case-insensitive): one text or a list;
 * - `glob`: `*` any run, `?` one character (paths: `*` within a folder, `**` any folders);
 * - `regex`: RE2 syntax (like JavaScript's, without backreferences or lookaround), searched
 *   in the normalised text (lower case, NFKC), case-insensitively.
 */
export const TextMatch = z
  .strictObject({ exact: PatternList.optional(), glob: PatternList.optional(), regex: Pattern.optional() })
  .refine((m) => [m.exact, m.glob, m.regex].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of exact, glob or regex',
  });
export type TextMatch = z.infer<typeof TextMatch>;

export const Sha256 = z.string().regex(/^[0-9a-fA-F]{64}$/, 'a SHA-256 in hex (64 characters)');

/** What a rule matches; every criterion given must hold (AND). */
export const RuleMatch = z
  .strictObject({
    /** Display name of an installed title, its package name, or an executable's file name (with or without .exe). */
    name: TextMatch.optional(),
    /** Publisher / vendor / maintainer of an installed title. */
    publisher: TextMatch.optional(),
    /** Version range of an installed title (semver syntax, any number of parts: `>=1.2.3.4 <2`). */
    version: z.string().min(1).max(256).optional(),
    /** SHA-256 of a running executable. */
    sha256: z.array(Sha256).min(1).max(1000).optional(),
    /** Install path of a title or path of a running executable. */
    path: TextMatch.optional(),
  })
  .refine((m) => m.name !== undefined || m.publisher !== undefined || m.sha256 !== undefined || m.path !== undefined, {
    message: 'a rule must match by name, publisher, sha256 or path (a version range alone would match everything)',
  });
export type RuleMatch = z.infer<typeof RuleMatch>;

/** The reason the person at the PC is shown, in both UI languages. */
export const RuleReason = z.strictObject({ ja: z.string().min(1).max(500), en: z.string().min(1).max(500) });

export const SoftwareRule = z.strictObject({
  id: RuleId,
  /** approve: 許可ソフトウェア; prohibit: 禁止ソフトウェア. */
  action: z.enum(['approve', 'prohibit']),
  reason: RuleReason,
  match: RuleMatch,
  /** A label for reports, e.g. p2p, remote-access (the catalog a rule came from). */
  category: z.string().regex(/^[a-z0-9-]{1,40}$/).optional(),
  /** Set on rules an approved request (申請 → 承認) added; kept when an admin replaces the rule set. */
  origin: z.strictObject({ requestId: z.string().min(1).max(64), approvedBy: z.string().max(256), approvedAt: z.iso.datetime() }).optional(),
});
export type SoftwareRule = z.infer<typeof SoftwareRule>;

export const SoftwareMode = z.enum(['report', 'notify', 'kill']);
export const SoftwareStance = z.enum(['allowlist', 'denylist']);

export const DEFAULT_PROCESS_INTERVAL_SEC = 2;

export const SoftwarePolicy = z.strictObject({
  /** report: event only; notify: event and a notice offering 使用申請; kill: end the process tree, event and notice. */
  mode: SoftwareMode,
  /** allowlist: anything no rule approves is a violation; denylist: only what a rule prohibits. */
  stance: SoftwareStance,
  rules: z.array(SoftwareRule).max(10_000),
  /** Seconds between looks at the running processes (new processes only are evaluated). */
  processIntervalSec: z.number().int().min(1).max(3600).default(DEFAULT_PROCESS_INTERVAL_SEC),
});
export type SoftwarePolicy = z.infer<typeof SoftwarePolicy>;
