/**
 * Version ranges for software rules: the semver range syntax (comparators, `^`, `~`, `x`
 * wildcards, hyphen ranges, `||`) over dotted numeric versions of any length, so that Windows
 * four-part versions (`>=1.2.3.4 <2`) and dpkg/rpm versions work alongside semver.
 *
 * A version in a range is a prefix: `1.2` means 1.2.x (see comparatorsFor).
 *
 * An installed version is compared by its leading dotted numbers: an epoch (`1:`) and a `v`
 * prefix are dropped, and whatever follows the numbers (`-2ubuntu1`, `b7`, ` (x64)`) is ignored,
 * so `2.0b7.1` compares as 2.0. Missing parts count as 0 (1.2 = 1.2.0.0). A version without a
 * leading number (`unknown`, `beta`) matches no range.
 */

export type NumericVersion = readonly number[];

interface Comparator {
  op: '<' | '>=';
  version: NumericVersion;
}

/** A parsed range: any of the sets matches (`||`); within a set every comparator must hold. */
export interface VersionRange {
  readonly source: string;
  test(version: string): boolean;
}

const MAX_PARTS = 8;
const MAX_PART = Number.MAX_SAFE_INTEGER;

/** The leading dotted numbers of an installed version, or null when it has none. */
export function numericVersion(text: string): NumericVersion | null {
  const match = /^\s*(?:\d+:)?v?(\d+(?:\.\d+)*)/i.exec(text);
  if (!match) return null;
  const parts = match[1]!.split('.').slice(0, MAX_PARTS).map(Number);
  return parts.every((p) => Number.isSafeInteger(p) && p <= MAX_PART) ? parts : null;
}

/** Compares two numeric versions, missing parts being 0: negative, 0 or positive. */
export function compareVersions(a: NumericVersion, b: NumericVersion): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** A version as written in a range: numbers, possibly ending in `x`/`*` wildcards (1.2.x). */
interface PartialVersion {
  parts: number[];
  /** Number of parts given before a wildcard or the end. */
  fixed: number;
  wildcard: boolean;
}

function parsePartial(text: string): PartialVersion | string {
  if (!/^v?(\d+|[xX*])(\.(\d+|[xX*]))*$/.test(text)) return `"${text}" is not a version (write numbers separated by dots, e.g. 1.2.3.4; x or * for any)`;
  const raw = text.replace(/^v/, '').split('.');
  if (raw.length > MAX_PARTS) return `"${text}" has more than ${MAX_PARTS} parts`;
  const parts: number[] = [];
  let wildcard = false;
  for (const part of raw) {
    if (/^[xX*]$/.test(part)) {
      wildcard = true;
      continue;
    }
    if (wildcard) return `"${text}": a number cannot follow a wildcard`;
    const n = Number(part);
    if (!Number.isSafeInteger(n)) return `"${text}": ${part} is too large`;
    parts.push(n);
  }
  return { parts, fixed: parts.length, wildcard };
}

// The version just above every version that starts with `parts` (1.2 → 1.3).
function bumpLast(parts: number[]): number[] {
  if (parts.length === 0) return [];
  const next = parts.slice();
  next[next.length - 1] = next[next.length - 1]! + 1;
  return next;
}

// A version in a range stands for every version that starts with it (1.2 is 1.2.x, 1.2.3 also
// covers the Windows 1.2.3.4); `x`/`*` only shorten it. So `=1.2` and `1.2` are >=1.2 <1.3,
// `>1.2` is >=1.3, `<=1.2` is <1.3, while `>=` and `<` compare with missing parts as 0.
function comparatorsFor(op: string, v: PartialVersion): Comparator[] | string {
  if (v.fixed === 0) return op === '' || op === '=' || op === '>=' || op === '<=' ? [] : `"${op}*" matches nothing`;
  switch (op) {
    case '':
    case '=':
      return [{ op: '>=', version: v.parts }, { op: '<', version: bumpLast(v.parts) }];
    case '>':
      return [{ op: '>=', version: bumpLast(v.parts) }];
    case '>=':
      return [{ op: '>=', version: v.parts }];
    case '<':
      return [{ op: '<', version: v.parts }];
    case '<=':
      return [{ op: '<', version: bumpLast(v.parts) }];
    case '~': {
      // ~1.2.3 := >=1.2.3 <1.3; ~1 := >=1 <2
      const keep = v.fixed >= 2 ? v.parts.slice(0, 2) : v.parts.slice(0, 1);
      return [{ op: '>=', version: v.parts }, { op: '<', version: bumpLast(keep) }];
    }
    case '^': {
      // ^1.2.3 := <2; ^0.2.3 := <0.3; ^0.0.3 := <0.0.4 (the first non-zero part is kept)
      const firstNonZero = v.parts.findIndex((p) => p !== 0);
      const keep = firstNonZero < 0 ? v.parts : v.parts.slice(0, firstNonZero + 1);
      return [{ op: '>=', version: v.parts }, { op: '<', version: bumpLast(keep) }];
    }
    default:
      return `unknown operator "${op}"`;
  }
}

function holds(c: Comparator, version: NumericVersion): boolean {
  const d = compareVersions(version, c.version);
  return c.op === '<' ? d < 0 : d >= 0;
}

/**
 * Parses a range such as `>=1.2.3.4 <2`, `^2.1`, `1.x || >=3`, `1.0 - 1.9` or `=2.0.0.1`.
 * Returns the range, or a message saying what is wrong with it.
 */
export function parseVersionRange(source: string): VersionRange | string {
  const text = source.trim();
  if (text === '') return 'empty version range';
  if (text.length > 256) return 'version range longer than 256 characters';
  const sets: Comparator[][] = [];
  for (const alternative of text.split('||')) {
    const words = alternative.trim().split(/\s+/).filter((w) => w !== '');
    if (words.length === 0) return `"${source}": empty alternative around ||`;
    const set: Comparator[] = [];
    if (words.length === 3 && words[1] === '-') {
      const low = parsePartial(words[0]!);
      const high = parsePartial(words[2]!);
      if (typeof low === 'string') return low;
      if (typeof high === 'string') return high;
      const lower = comparatorsFor('>=', low);
      const upper = comparatorsFor('<=', high);
      if (typeof lower === 'string') return lower;
      if (typeof upper === 'string') return upper;
      set.push(...lower, ...upper);
    } else {
      for (let i = 0; i < words.length; i++) {
        let word = words[i]!;
        // Allow a space between the operator and the version (">= 1.2").
        if (/^(<=|>=|<|>|=|\^|~)$/.test(word) && i + 1 < words.length) word += words[++i];
        const m = /^(<=|>=|<|>|=|\^|~)?(.*)$/.exec(word)!;
        const version = parsePartial(m[2]!);
        if (typeof version === 'string') return version;
        const comparators = comparatorsFor(m[1] ?? '', version);
        if (typeof comparators === 'string') return comparators;
        set.push(...comparators);
      }
    }
    sets.push(set);
  }
  return {
    source,
    test: (installed) => {
      const version = numericVersion(installed);
      if (version === null) return false;
      return sets.some((set) => set.every((c) => holds(c, version)));
    },
  };
}
