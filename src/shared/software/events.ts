import { z } from 'zod';
import { RuleId, Sha256, SoftwareMode, SoftwareStance } from './rules.js';

/**
 * Payloads of the software events (software.detected, software.killed) and the subject of a
 * software approval request (申請). Shared so that the agent writes, and the collector and console
 * read, one shape.
 */

const Text = (max: number) => z.string().max(max);

/** What was found: an installed title or a running executable; texts as displayText made them. */
export const SoftwareFinding = z.strictObject({
  source: z.enum(['installed', 'process']),
  name: Text(1024),
  path: Text(4096).nullable(),
  sha256: Sha256.nullable(),
  version: Text(256).nullable(),
  publisher: Text(1024).nullable(),
  /** Process id (process findings). */
  pid: z.number().int().nonnegative().nullable(),
  /** OS account the process runs as (process findings). */
  user: Text(256).nullable(),
  /** Inventory item id (installed findings). */
  itemId: Text(1024).nullable(),
});
export type SoftwareFinding = z.infer<typeof SoftwareFinding>;

export const SoftwareDetectedPayload = z.strictObject({
  finding: SoftwareFinding,
  /** prohibited by a rule, or unlisted under an allowlist. */
  status: z.enum(['prohibited', 'unlisted']),
  ruleId: RuleId.nullable(),
  category: z.string().max(40).nullable(),
  mode: SoftwareMode,
  stance: SoftwareStance,
  policyVersion: z.number().int().nonnegative(),
});
export type SoftwareDetectedPayload = z.infer<typeof SoftwareDetectedPayload>;

export const SoftwareKilledPayload = SoftwareDetectedPayload.extend({
  /** Every process id of the tree that was ended (the process and its descendants). */
  killedPids: z.array(z.number().int().nonnegative()).max(10_000),
  /** Processes of the tree that could not be ended (gone already, or not ours). */
  failedPids: z.array(z.number().int().nonnegative()).max(10_000),
});
export type SoftwareKilledPayload = z.infer<typeof SoftwareKilledPayload>;

/** The subject of a software request: what the person asks to use. */
export const SoftwareRequestSubject = z.strictObject({
  source: z.enum(['installed', 'process']),
  name: z.string().min(1).max(1024),
  path: z.string().max(4096).nullable(),
  sha256: Sha256.nullable(),
  version: z.string().max(256).nullable(),
  publisher: z.string().max(1024).nullable(),
  /** The rule that flagged it, if any. */
  ruleId: RuleId.nullable(),
});
export type SoftwareRequestSubject = z.infer<typeof SoftwareRequestSubject>;
