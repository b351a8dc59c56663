import type { z } from 'zod';
import { compileSoftwarePolicy, type CompiledSoftwarePolicy, type RuleProblem } from './evaluate.js';
import { SoftwarePolicy, SoftwareRule } from './rules.js';

export type SoftwarePolicyCheck =
  | { ok: true; policy: SoftwarePolicy; compiled: CompiledSoftwarePolicy }
  | { ok: false; problems: RuleProblem[] };

/** `rules[3].match.name` from a zod issue path. */
export function issuePath(path: ReadonlyArray<PropertyKey>): string {
  let text = '';
  for (const key of path) text += typeof key === 'number' ? `[${key}]` : `${text === '' ? '' : '.'}${String(key)}`;
  return text === '' ? '(top level)' : text;
}

/** Zod issues as rule problems; an unknown field is named, not just "invalid". */
export function shapeProblems(error: z.ZodError, prefix = ''): RuleProblem[] {
  return error.issues.slice(0, 50).map((issue) => {
    const path = issuePath([...(prefix ? [prefix] : []), ...issue.path]);
    const detail = issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message;
    return { path, code: 'shape' as const, detail };
  });
}

/**
 * Checks a software section from anywhere (an admin's file, a received policy): the strict shape
 * first, then every pattern, version range and id. The collector runs it before publishing and
 * the agent again before applying, so a malformed rule never takes effect.
 */
export function checkSoftwarePolicy(input: unknown): SoftwarePolicyCheck {
  const parsed = SoftwarePolicy.safeParse(input);
  if (!parsed.success) return { ok: false, problems: [...shapeProblems(parsed.error), ...deepProblemsOfWellFormedRules(input)] };
  const compiled = compileSoftwarePolicy(parsed.data);
  return compiled.ok ? { ok: true, policy: parsed.data, compiled: compiled.compiled } : compiled;
}

// With a shape error somewhere, the rules that are well-formed are still checked in depth, so
// that an admin sees every problem of a file at once instead of one round per problem.
function deepProblemsOfWellFormedRules(input: unknown): RuleProblem[] {
  const rules = typeof input === 'object' && input !== null ? (input as { rules?: unknown }).rules : undefined;
  if (!Array.isArray(rules)) return [];
  const good: SoftwareRule[] = [];
  const origin: number[] = [];
  rules.slice(0, 10_000).forEach((rule, index) => {
    const parsed = SoftwareRule.safeParse(rule);
    if (parsed.success) {
      good.push(parsed.data);
      origin.push(index);
    }
  });
  const compiled = compileSoftwarePolicy({ mode: 'report', stance: 'denylist', processIntervalSec: 2, rules: good }, (i) => origin[i]!);
  return compiled.ok ? [] : compiled.problems;
}
