import { RE2JS, RE2JSException } from 're2js';
import { compileNameGlob, compilePathGlob, type CompiledGlob } from './glob.js';
import { normalizeName, normalizePath } from './normalize.js';
import { patternHazards, type PatternHazard } from './pattern-safety.js';
import type { TextMatch } from './rules.js';

/** A problem with one pattern, before it is placed in a rule (the caller adds the path). */
export type PatternProblem =
  | { code: 'regex-syntax'; detail: string }
  | { code: 'regex-hazard'; detail: string; hazard: PatternHazard }
  | { code: 'empty-pattern'; detail: string };

export type TextField = 'name' | 'publisher' | 'path';

/** One compiled text criterion: tests the normalised values of a field. */
export type CompiledTextMatch =
  | { kind: 'exact'; values: ReadonlySet<string> }
  | { kind: 'glob'; globs: readonly CompiledGlob[] }
  | { kind: 'regex'; source: string; regex: RE2JS };

/** Normalises a pattern or a value of `field` the same way (paths keep their white space). */
export function normalizeFor(field: TextField, text: string): string {
  return field === 'path' ? normalizePath(text) : normalizeName(text);
}

const asList = (value: string | readonly string[]): readonly string[] => (typeof value === 'string' ? [value] : value);

/**
 * Compiles a regular expression for rules: NFKC-normalised like the text it is searched in (so
 * ｳｨﾆｰ in a pattern finds ウィニー), RE2 (linear time), case-insensitive. Refused when RE2
 * rejects it or it would backtrack exponentially in a backtracking engine.
 */
export function compileRulePattern(pattern: string): { ok: true; regex: RE2JS; source: string } | { ok: false; problem: PatternProblem } {
  const source = pattern.normalize('NFKC');
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
  } catch (error) {
    // re2js quotes the pattern with the (?i) it adds for case-insensitivity; show the admin's own.
    const detail = (error instanceof RE2JSException ? error.message : String(error)).replace('`(?i)', '`');
    return { ok: false, problem: { code: 'regex-syntax', detail } };
  }
  const [hazard] = patternHazards(source);
  if (hazard) return { ok: false, problem: { code: 'regex-hazard', detail: hazard.fragment, hazard } };
  return { ok: true, regex, source };
}

/** Compiles one text criterion of `field`, or says what is wrong with it. */
export function compileTextMatch(field: TextField, match: TextMatch): { ok: true; matcher: CompiledTextMatch } | { ok: false; problem: PatternProblem } {
  if (match.regex !== undefined) {
    const compiled = compileRulePattern(match.regex);
    return compiled.ok ? { ok: true, matcher: { kind: 'regex', source: compiled.source, regex: compiled.regex } } : compiled;
  }
  const raw = asList(match.exact ?? match.glob ?? []);
  const normalized = raw.map((p) => normalizeFor(field, p));
  const empty = normalized.findIndex((p) => p === '');
  if (empty >= 0) return { ok: false, problem: { code: 'empty-pattern', detail: JSON.stringify(raw[empty]) } };
  if (match.exact !== undefined) return { ok: true, matcher: { kind: 'exact', values: new Set(normalized) } };
  const compile = field === 'path' ? compilePathGlob : compileNameGlob;
  return { ok: true, matcher: { kind: 'glob', globs: normalized.map(compile) } };
}

/** Whether any of the (normalised) values meets the criterion. */
export function textMatches(matcher: CompiledTextMatch, values: readonly string[]): boolean {
  switch (matcher.kind) {
    case 'exact':
      return values.some((v) => matcher.values.has(v));
    case 'glob':
      return values.some((v) => matcher.globs.some((g) => g.test(v)));
    case 'regex':
      return values.some((v) => matcher.regex.test(v));
  }
}
