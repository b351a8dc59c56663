import { RE2JS, RE2Set } from 're2js';
import type { CompiledGlob } from './glob.js';
import { compileTextMatch, normalizeFor, textMatches, type CompiledTextMatch, type TextField } from './matchers.js';
import { baseName, executableNames, normalizeName, normalizePath } from './normalize.js';
import type { SoftwarePolicy, SoftwareRule } from './rules.js';
import { parseVersionRange, type VersionRange } from './version.js';

/**
 * Pure, precompiled evaluation of software against the policy's rules.
 *
 * Precedence when several rules match (defined here, tested in test/unit/software-evaluate):
 *   1. the more specific rule wins: a rule naming the executable's SHA-256 beats one that does
 *      not; then one naming the title exactly (name.exact) beats a pattern; then one pinning a
 *      version range beats one that does not; then the rule with more criteria;
 *   2. between equally specific rules, prohibit beats approve;
 *   3. then the rule listed first.
 * So an approval for one title or one binary (an approved 申請) overrides a category rule such
 * as "every *torrent* client", but a generic approval never unlocks an exactly named prohibition.
 */

/** Software as the rules see it: an installed title or a running executable. */
export interface SoftwareSubject {
  kind: 'installed' | 'process';
  /** Installed: display name and package name / bundle id. Process: the executable's file name(s). */
  names: readonly string[];
  publisher?: string | null;
  version?: string | null;
  /** Installed: install location; process: the executable's full path. */
  path?: string | null;
  /** Process: SHA-256 of the executable (hex), when computed. */
  sha256?: string | null;
}

export type SoftwareStatus = 'approved' | 'prohibited' | 'unlisted';

export interface SoftwareVerdict {
  /** approved / prohibited by `rule`; unlisted when no rule matched. */
  status: SoftwareStatus;
  /** Prohibited, or unlisted under an allowlist: 無許可ソフトウェア. */
  violation: boolean;
  /** The rule that decided, null when none matched. */
  rule: SoftwareRule | null;
}

/** A problem found while compiling, with where it is (`rules[3].match.name.regex`). */
export interface RuleProblem {
  path: string;
  code: 'shape' | 'regex-syntax' | 'regex-hazard' | 'empty-pattern' | 'version-range' | 'duplicate-id';
  detail: string;
}

interface CompiledRule {
  index: number;
  rule: SoftwareRule;
  /** Compared lexicographically, larger wins (see precedence above). */
  specificity: readonly number[];
  name: CompiledTextMatch | null;
  publisher: CompiledTextMatch | null;
  path: CompiledTextMatch | null;
  version: VersionRange | null;
  sha256: ReadonlySet<string> | null;
}

interface PreparedSubject {
  names: string[];
  publisher: string[];
  path: string[];
  version: string | null;
  sha256: string | null;
}

const TRIGRAM = 3;
interface TrieNode {
  next: Map<number, TrieNode> | null;
  rules: number[] | null;
}

/** Rules keyed by a text their value must start (or, reversed, end) with; a lookup walks the value once. */
class AnchorTrie {
  private readonly root: TrieNode = { next: null, rules: null };

  constructor(private readonly fromEnd: boolean) {}

  add(anchor: string, rule: number): void {
    let node = this.root;
    for (let k = 0; k < anchor.length; k++) {
      const code = anchor.charCodeAt(this.fromEnd ? anchor.length - 1 - k : k);
      node.next ??= new Map();
      let child = node.next.get(code);
      if (!child) node.next.set(code, (child = { next: null, rules: null }));
      node = child;
    }
    (node.rules ??= []).push(rule);
  }

  find(value: string, found: (rule: number) => void): void {
    let node: TrieNode | undefined = this.root;
    for (let k = 0; k < value.length && node.next; k++) {
      node = node.next.get(value.charCodeAt(this.fromEnd ? value.length - 1 - k : k));
      if (!node) return;
      if (node.rules) for (const rule of node.rules) found(rule);
    }
  }
}
const TRIGRAM_BITS = 1 << 16;

function trigramHash(a: number, b: number, c: number): number {
  return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d)) >>> 16;
}

/**
 * Rules found through one text field: exact values by map; globs by the three characters they
 * start (or end) with, or else by their rarest trigram anywhere; regexes through one RE2 set.
 */
class FieldIndex {
  private readonly exact = new Map<string, number[]>();
  private readonly pendingGlobs: Array<{ rule: number; glob: CompiledGlob }> = [];
  /** trigram → globs to try: the rule, and a run of plain text the value must contain. */
  private readonly globByTrigram = new Map<string, Array<{ rule: number; run: string }>>();
  /** Globs anchored at the start (or end) of the text, in a trie of that anchor: a value walks it once. */
  private readonly globByPrefix = new AnchorTrie(false);
  private readonly globBySuffix = new AnchorTrie(true);
  /** A bit per trigram hash: most positions of a value are rejected without building a string. */
  private readonly trigramBits = new Uint8Array(TRIGRAM_BITS / 8);
  private readonly globUnindexed: number[] = [];
  private readonly regexRules: number[] = [];
  private readonly regexSources: string[] = [];
  private regexSet: RE2Set | null = null;
  private regexSetBroken = false;

  add(rule: number, matcher: CompiledTextMatch): void {
    if (matcher.kind === 'exact') {
      for (const value of matcher.values) push(this.exact, value, rule);
    } else if (matcher.kind === 'glob') {
      for (const glob of matcher.globs) this.pendingGlobs.push({ rule, glob });
    } else {
      this.regexRules.push(rule);
      this.regexSources.push(matcher.source);
    }
  }

  /** Builds the indexes once all rules are in. */
  seal(): void {
    this.indexGlobs();
    if (this.regexSources.length === 0) return;
    try {
      const set = new RE2Set(RE2Set.UNANCHORED, RE2JS.CASE_INSENSITIVE);
      for (const source of this.regexSources) set.add(source);
      set.compile();
      this.regexSet = set;
    } catch {
      // RE2 could not build one set (memory limit): every regex rule is tried one by one.
      this.regexSetBroken = true;
    }
  }

  // Each glob is filed under the trigram of its plain text that the fewest globs share, so a
  // value meets only the globs that could match it (not every "*viewer*" for any "viewer").
  private indexGlobs(): void {
    const frequency = new Map<string, number>();
    const trigramsOf = (glob: CompiledGlob) => {
      const found = new Map<string, string>();
      for (const run of glob.literals) for (let i = 0; i + TRIGRAM <= run.length; i++) found.set(run.slice(i, i + TRIGRAM), run);
      return found;
    };
    const floating: Array<{ rule: number; glob: CompiledGlob }> = [];
    for (const g of this.pendingGlobs) {
      const { prefix, suffix } = g.glob;
      if (prefix.length >= TRIGRAM) this.globByPrefix.add(prefix, g.rule);
      else if (suffix.length >= TRIGRAM) this.globBySuffix.add(suffix, g.rule);
      else floating.push(g);
    }
    const all = floating.map((g) => ({ ...g, trigrams: trigramsOf(g.glob) }));
    for (const g of all) for (const t of g.trigrams.keys()) frequency.set(t, (frequency.get(t) ?? 0) + 1);
    for (const g of all) {
      let best: string | null = null;
      for (const t of g.trigrams.keys()) if (best === null || frequency.get(t)! < frequency.get(best)!) best = t;
      if (best === null) {
        if (this.globUnindexed[this.globUnindexed.length - 1] !== g.rule) this.globUnindexed.push(g.rule);
        continue;
      }
      const h = trigramHash(best.charCodeAt(0), best.charCodeAt(1), best.charCodeAt(2));
      this.trigramBits[h >>> 3]! |= 1 << (h & 7);
      const list = this.globByTrigram.get(best);
      const entry = { rule: g.rule, run: g.trigrams.get(best)! };
      if (list) list.push(entry);
      else this.globByTrigram.set(best, [entry]);
    }
    this.pendingGlobs.length = 0;
  }

  /** Calls `found` for every rule that may match one of the values (regex and exact hits are certain). */
  candidates(values: readonly string[], found: (rule: number) => void): void {
    if (values.length === 0) return;
    for (const value of values) {
      const exact = this.exact.get(value);
      if (exact) exact.forEach(found);
      this.globByPrefix.find(value, found);
      this.globBySuffix.find(value, found);
      if (this.globByTrigram.size > 0) {
        const bits = this.trigramBits;
        for (let i = 0; i + TRIGRAM <= value.length; i++) {
          const h = trigramHash(value.charCodeAt(i), value.charCodeAt(i + 1), value.charCodeAt(i + 2));
          if ((bits[h >>> 3]! & (1 << (h & 7))) === 0) continue;
          const hits = this.globByTrigram.get(value.slice(i, i + TRIGRAM));
          if (hits) for (const hit of hits) if (value.includes(hit.run)) found(hit.rule);
        }
      }
      if (this.regexSet) for (const hit of this.regexSet.match(value)) found(this.regexRules[hit]!);
    }
    this.globUnindexed.forEach(found);
    if (this.regexSetBroken) this.regexRules.forEach(found);
  }
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list) {
    if (list[list.length - 1] !== value) list.push(value);
  } else map.set(key, [value]);
}

function compareSpecificity(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** The rules of one policy, compiled once; `evaluate` is pure and does no I/O. */
export class CompiledSoftwarePolicy {
  private readonly bySha = new Map<string, number[]>();
  private readonly fields: Record<TextField, FieldIndex> = { name: new FieldIndex(), publisher: new FieldIndex(), path: new FieldIndex() };
  private readonly stamp: Uint32Array;
  private generation = 0;
  private current: PreparedSubject | null = null;
  private best: CompiledRule | null = null;
  /** Whether any rule matches by SHA-256 (if none, a process need not be hashed to be evaluated). */
  readonly usesSha256: boolean;

  constructor(
    readonly policy: SoftwarePolicy,
    private readonly rules: readonly CompiledRule[],
  ) {
    for (const r of rules) {
      // Each rule is indexed by its most selective criterion; the others are checked after.
      if (r.sha256) for (const h of r.sha256) push(this.bySha, h, r.index);
      else if (r.name) this.fields.name.add(r.index, r.name);
      else if (r.path) this.fields.path.add(r.index, r.path);
      else if (r.publisher) this.fields.publisher.add(r.index, r.publisher);
    }
    for (const f of Object.values(this.fields)) f.seal();
    this.stamp = new Uint32Array(rules.length);
    this.usesSha256 = this.bySha.size > 0;
  }

  /** The verdict for one installed title or running executable. */
  evaluate(subject: SoftwareSubject): SoftwareVerdict {
    const s = prepare(subject);
    this.current = s;
    this.best = null;
    this.generation = this.nextGeneration();
    if (s.sha256) this.bySha.get(s.sha256)?.forEach(this.consider);
    this.fields.name.candidates(s.names, this.consider);
    this.fields.path.candidates(s.path, this.consider);
    this.fields.publisher.candidates(s.publisher, this.consider);
    const rule = (this.best as CompiledRule | null)?.rule ?? null;
    this.current = null;
    const status: SoftwareStatus = rule === null ? 'unlisted' : rule.action === 'approve' ? 'approved' : 'prohibited';
    return { status, rule, violation: status === 'prohibited' || (status === 'unlisted' && this.policy.stance === 'allowlist') };
  }

  // One function for every candidate of every evaluation (no closure per call): checks a rule
  // once per evaluation and keeps the best match.
  private readonly consider = (index: number): void => {
    if (this.stamp[index] === this.generation) return;
    this.stamp[index] = this.generation;
    const rule = this.rules[index]!;
    if (!ruleMatches(rule, this.current!)) return;
    if (this.best === null || outranks(rule, this.best)) this.best = rule;
  };

  private nextGeneration(): number {
    let next = (this.generation + 1) >>> 0;
    if (next === 0) {
      this.stamp.fill(0);
      next = 1;
    }
    return next;
  }
}

function outranks(a: CompiledRule, b: CompiledRule): boolean {
  const bySpecificity = compareSpecificity(a.specificity, b.specificity);
  if (bySpecificity !== 0) return bySpecificity > 0;
  if (a.rule.action !== b.rule.action) return a.rule.action === 'prohibit';
  return a.index < b.index;
}

function ruleMatches(r: CompiledRule, s: PreparedSubject): boolean {
  if (r.sha256 && (s.sha256 === null || !r.sha256.has(s.sha256))) return false;
  if (r.name && !textMatches(r.name, s.names)) return false;
  if (r.path && !textMatches(r.path, s.path)) return false;
  if (r.publisher && !textMatches(r.publisher, s.publisher)) return false;
  if (r.version && (s.version === null || !r.version.test(s.version))) return false;
  return true;
}

function addName(names: string[], name: string): void {
  if (name !== '' && !names.includes(name)) names.push(name);
}

function addNames(names: string[], more: readonly string[]): void {
  for (const name of more) addName(names, name);
}

function prepare(subject: SoftwareSubject): PreparedSubject {
  const names: string[] = [];
  for (const raw of subject.names) {
    if (subject.kind === 'process') addNames(names, executableNames(baseName(raw)));
    else addName(names, normalizeName(raw));
  }
  if (subject.kind === 'process' && subject.path) addNames(names, executableNames(baseName(subject.path)));
  const path = subject.path ? normalizePath(subject.path) : '';
  const publisher = subject.publisher ? normalizeName(subject.publisher) : '';
  return {
    names,
    path: path === '' ? [] : [path],
    publisher: publisher === '' ? [] : [publisher],
    version: subject.version ?? null,
    sha256: subject.sha256 ? subject.sha256.toLowerCase() : null,
  };
}

/**
 * Compiles the software section: every pattern, version range and id checked. Returns the
 * compiled policy, or every problem found (never throws on bad rules).
 */
export function compileSoftwarePolicy(
  policy: SoftwarePolicy,
  /** Where rule i came from, for problem paths (when only some rules of a file are compiled). */
  sourceIndex: (index: number) => number = (index) => index,
): { ok: true; compiled: CompiledSoftwarePolicy } | { ok: false; problems: RuleProblem[] } {
  const problems: RuleProblem[] = [];
  const compiled: CompiledRule[] = [];
  const seen = new Map<string, number>();
  policy.rules.forEach((rule, index) => {
    const at = `rules[${sourceIndex(index)}]`;
    const earlier = seen.get(rule.id);
    if (earlier !== undefined) problems.push({ path: `${at}.id`, code: 'duplicate-id', detail: `${rule.id} (also rules[${earlier}])` });
    else seen.set(rule.id, sourceIndex(index));
    const text = (field: TextField): CompiledTextMatch | null => {
      const match = rule.match[field];
      if (match === undefined) return null;
      const result = compileTextMatch(field, match);
      if (result.ok) return result.matcher;
      const which = match.regex !== undefined ? 'regex' : match.exact !== undefined ? 'exact' : 'glob';
      problems.push({ path: `${at}.match.${field}.${which}`, code: result.problem.code, detail: result.problem.detail });
      return null;
    };
    let version: VersionRange | null = null;
    if (rule.match.version !== undefined) {
      const parsed = parseVersionRange(rule.match.version);
      if (typeof parsed === 'string') problems.push({ path: `${at}.match.version`, code: 'version-range', detail: parsed });
      else version = parsed;
    }
    const sha256 = rule.match.sha256 ? new Set(rule.match.sha256.map((h) => h.toLowerCase())) : null;
    const name = text('name');
    const exactName = rule.match.name?.exact !== undefined;
    const criteria = ['name', 'publisher', 'version', 'sha256', 'path'].filter((k) => rule.match[k as keyof typeof rule.match] !== undefined).length;
    compiled.push({
      index,
      rule,
      specificity: [sha256 ? 1 : 0, exactName ? 1 : 0, version ? 1 : 0, criteria],
      name,
      publisher: text('publisher'),
      path: text('path'),
      version,
      sha256,
    });
  });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, compiled: new CompiledSoftwarePolicy(policy, compiled) };
}

/** Normalises a value the way the rules of `field` see it (for tests and previews). */
export { normalizeFor };
