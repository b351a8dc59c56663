/**
 * Finds regular expressions that make a backtracking engine (JavaScript's, Perl's, .NET's) take
 * exponential time: a repetition inside a repetition that can split the same text in two ways
 * (`(a+)+`, `(\w+\s?)*`, `(a{1,3}){2,}`), and a repeated alternation whose branches can start alike (`(a|a)*`,
 * `(\w|\d)+`).
 *
 * Mamori itself matches rules with RE2 (linear time), so such a pattern cannot hang the agent;
 * it is refused all the same because it is almost always a mistake, and because rules are also
 * shown and tried out in places that use the platform's own engine.
 *
 * Works on patterns RE2 has already accepted. Conservative: when unsure it reports a hazard
 * (`(ab|ac)*` is refused although harmless); rewriting such a pattern is always possible.
 */

/** A set of code points as sorted, disjoint, inclusive ranges. */
type CharSet = ReadonlyArray<readonly [number, number]>;

const MAX_CODE_POINT = 0x10ffff;
/** An ambiguous body repeated at most this often multiplies the work by a bounded factor. */
const MAX_HARMLESS_COUNT = 4;
const ALL: CharSet = [[0, MAX_CODE_POINT]];

function normalizeSet(ranges: Array<[number, number]>): CharSet {
  const sorted = ranges.filter(([a, b]) => a <= b).sort((x, y) => x[0] - y[0]);
  const out: Array<[number, number]> = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

function negate(set: CharSet): CharSet {
  const out: Array<[number, number]> = [];
  let next = 0;
  for (const [a, b] of set) {
    if (a > next) out.push([next, a - 1]);
    next = b + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

function union(...sets: CharSet[]): CharSet {
  return normalizeSet(sets.flatMap((s) => s.map(([a, b]) => [a, b] as [number, number])));
}

function intersects(x: CharSet, y: CharSet): boolean {
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const [a, b] = x[i]!;
    const [c, d] = y[j]!;
    if (a <= d && c <= b) return true;
    if (b < d) i++;
    else j++;
  }
  return false;
}

// Rules are matched case-insensitively: a letter stands for both its cases.
function withCases(set: CharSet): CharSet {
  const extra: Array<[number, number]> = [];
  for (const [a, b] of set) {
    const lo = Math.max(a, 0x41);
    const hi = Math.min(b, 0x5a);
    if (lo <= hi) extra.push([lo + 32, hi + 32]);
    const lo2 = Math.max(a, 0x61);
    const hi2 = Math.min(b, 0x7a);
    if (lo2 <= hi2) extra.push([lo2 - 32, hi2 - 32]);
  }
  return extra.length ? union(set, extra) : set;
}

const cp = (c: string) => c.codePointAt(0)!;
const single = (c: number): CharSet => [[c, c]];
const DIGIT: CharSet = [[0x30, 0x39]];
const WORD: CharSet = normalizeSet([[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]]);
const SPACE: CharSet = normalizeSet([[0x09, 0x0a], [0x0c, 0x0d], [0x20, 0x20]]);
const POSIX: Record<string, CharSet> = {
  alnum: normalizeSet([[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]]),
  alpha: normalizeSet([[0x41, 0x5a], [0x61, 0x7a]]),
  digit: DIGIT,
  lower: [[0x61, 0x7a]],
  upper: [[0x41, 0x5a]],
  space: normalizeSet([[0x09, 0x0d], [0x20, 0x20]]),
  word: WORD,
  xdigit: normalizeSet([[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]]),
};

type Node =
  | { kind: 'chars'; set: CharSet }
  | { kind: 'assert' }
  | { kind: 'group'; alternatives: Node[][]; start: number; end: number }
  | { kind: 'repeat'; min: number; max: number; body: Node; start: number; end: number };

/** What is wrong with a pattern: which part and why (kind names the rule of thumb broken). */
export interface PatternHazard {
  kind: 'nested-repeat' | 'overlapping-alternatives';
  /** The offending part of the pattern. */
  fragment: string;
}

class PatternReader {
  private pos = 0;
  private readonly chars: string[];

  constructor(private readonly source: string) {
    this.chars = [...source];
  }

  parse(): Node {
    const node = this.alternation(0);
    return node;
  }

  private peek(offset = 0): string | undefined {
    return this.chars[this.pos + offset];
  }

  private text(from: number, to: number): string {
    return this.chars.slice(from, to).join('');
  }

  private alternation(start: number): Node & { kind: 'group' } {
    const alternatives: Node[][] = [this.sequence()];
    while (this.peek() === '|') {
      this.pos++;
      alternatives.push(this.sequence());
    }
    return { kind: 'group', alternatives, start, end: this.pos };
  }

  private sequence(): Node[] {
    const items: Node[] = [];
    while (this.pos < this.chars.length && this.peek() !== '|' && this.peek() !== ')') {
      const start = this.pos;
      const atom = this.atom();
      if (atom === null) continue;
      items.push(this.quantified(atom, start));
    }
    return items;
  }

  private quantified(atom: Node, start: number): Node {
    let node = atom;
    for (;;) {
      const c = this.peek();
      let min: number;
      let max: number;
      if (c === '*') [min, max] = [0, Infinity];
      else if (c === '+') [min, max] = [1, Infinity];
      else if (c === '?') [min, max] = [0, 1];
      else if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.text(this.pos, this.pos + 24));
        if (!m) return node;
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
        this.pos += m[0].length - 1;
      } else return node;
      this.pos++;
      if (this.peek() === '?') this.pos++;
      node = { kind: 'repeat', min, max, body: node, start, end: this.pos };
    }
  }

  private atom(): Node | null {
    const c = this.chars[this.pos++]!;
    switch (c) {
      case '(':
        return this.group();
      case '[':
        return { kind: 'chars', set: this.charClass() };
      case '.':
        return { kind: 'chars', set: negate(single(0x0a)) };
      case '^':
      case '$':
        return { kind: 'assert' };
      case '\\':
        return this.escape(false);
      default:
        return { kind: 'chars', set: withCases(single(cp(c))) };
    }
  }

  private group(): Node | null {
    const start = this.pos - 1;
    if (this.peek() === '?') {
      const rest = this.text(this.pos, this.pos + 64);
      const named = /^\?P?<[A-Za-z0-9_]+>/.exec(rest);
      const flags = /^\?[a-zA-Z-]*(:|\))/.exec(rest);
      if (named) this.pos += named[0].length;
      else if (flags) {
        this.pos += flags[0].length;
        // (?i) alone sets flags and matches nothing.
        if (flags[1] === ')') return null;
      }
    }
    const inner = this.alternation(start);
    if (this.peek() === ')') this.pos++;
    return { ...inner, start, end: this.pos };
  }

  private escape(inClass: boolean): Node {
    const c = this.chars[this.pos++] ?? '\\';
    const set = (s: CharSet): Node => ({ kind: 'chars', set: s });
    switch (c) {
      case 'd':
        return set(DIGIT);
      case 'D':
        return set(negate(DIGIT));
      case 'w':
        return set(WORD);
      case 'W':
        return set(negate(WORD));
      case 's':
        return set(SPACE);
      case 'S':
        return set(negate(SPACE));
      case 'p':
      case 'P':
        // Unicode classes: too large to list; treat as any character (conservative).
        if (this.peek() === '{') while (this.pos < this.chars.length && this.chars[this.pos++] !== '}');
        else this.pos++;
        return set(ALL);
      case 'b':
      case 'B':
      case 'A':
      case 'z':
        return inClass ? set(single(0x08)) : { kind: 'assert' };
      case 'x': {
        const braced = /^\{([0-9a-fA-F]+)\}/.exec(this.text(this.pos, this.pos + 12));
        const text = braced ? braced[1]! : this.text(this.pos, this.pos + 2);
        this.pos += braced ? braced[0].length : 2;
        return set(withCases(single(Math.min(parseInt(text, 16) || 0, MAX_CODE_POINT))));
      }
      case 'Q': {
        // \Q...\E: literal text; as a sequence it starts with its first character.
        const end = this.text(this.pos, this.chars.length).indexOf('\\E');
        const literal = end < 0 ? this.text(this.pos, this.chars.length) : this.text(this.pos, this.pos + end);
        this.pos += end < 0 ? literal.length : end + 2;
        const first = literal.codePointAt(0);
        return first === undefined ? { kind: 'assert' } : set(withCases(single(first)));
      }
      case 'n':
        return set(single(0x0a));
      case 't':
        return set(single(0x09));
      case 'r':
        return set(single(0x0d));
      case 'f':
        return set(single(0x0c));
      case 'v':
        return set(single(0x0b));
      case 'a':
        return set(single(0x07));
      default:
        return set(withCases(single(cp(c))));
    }
  }

  private charClass(): CharSet {
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.pos++;
    }
    const parts: CharSet[] = [];
    let first = true;
    while (this.pos < this.chars.length && (this.peek() !== ']' || first)) {
      first = false;
      const posix = /^\[:(\^)?([a-z]+):\]/.exec(this.text(this.pos, this.pos + 16));
      if (posix) {
        this.pos += posix[0].length;
        const s = POSIX[posix[2]!] ?? ALL;
        parts.push(posix[1] ? negate(s) : s);
        continue;
      }
      const low = this.classChar();
      if (typeof low !== 'number') {
        parts.push(low);
        continue;
      }
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.pos++;
        const high = this.classChar();
        parts.push(typeof high === 'number' ? [[low, Math.max(low, high)]] : ALL);
      } else parts.push(single(low));
    }
    this.pos++;
    const set = withCases(union(...parts));
    return negated ? negate(set) : set;
  }

  // One class member: a code point, or a whole set for \d, \w, \p{…}.
  private classChar(): number | CharSet {
    const c = this.chars[this.pos++]!;
    if (c !== '\\') return cp(c);
    const node = this.escape(true);
    if (node.kind !== 'chars') return ALL;
    const [only] = node.set;
    return node.set.length === 1 && only && only[0] === only[1] ? only[0] : node.set;
  }
}

function nullable(node: Node): boolean {
  switch (node.kind) {
    case 'chars':
      return false;
    case 'assert':
      return true;
    case 'group':
      return node.alternatives.some((seq) => seq.every(nullable));
    case 'repeat':
      return node.min === 0 || nullable(node.body);
  }
}

/** Characters a sequence can start with (looking through optional items). */
function firstChars(seq: readonly Node[]): CharSet {
  const sets: CharSet[] = [];
  for (const node of seq) {
    sets.push(firstOf(node));
    if (!nullable(node)) break;
  }
  return union(...sets);
}

function firstOf(node: Node): CharSet {
  switch (node.kind) {
    case 'chars':
      return node.set;
    case 'assert':
      return [];
    case 'group':
      return union(...node.alternatives.map(firstChars));
    case 'repeat':
      return firstOf(node.body);
  }
}

/** Every character a node can consume anywhere. */
function allChars(node: Node): CharSet {
  switch (node.kind) {
    case 'chars':
      return node.set;
    case 'assert':
      return [];
    case 'group':
      return union(...node.alternatives.flatMap((seq) => seq.map(allChars)));
    case 'repeat':
      return allChars(node.body);
  }
}

/** Repetitions of variable count (`+`, `*`, `?`, `{1,3}`) inside a node (not the node itself). */
function innerVariable(node: Node): Array<Node & { kind: 'repeat' }> {
  const found: Array<Node & { kind: 'repeat' }> = [];
  const walk = (n: Node) => {
    if (n.kind === 'group') n.alternatives.forEach((seq) => seq.forEach(walk));
    else if (n.kind === 'repeat') {
      if (n.max > n.min) found.push(n);
      walk(n.body);
    }
  };
  if (node.kind === 'group') node.alternatives.forEach((seq) => seq.forEach(walk));
  else if (node.kind === 'repeat') walk(node.body);
  return found;
}

// A repeated body with one variable repetition, whose every iteration begins (or ends) with a
// character that repetition cannot consume, cannot split the text two ways: `(\.\d+)*` and
// `(\d+,)*` are safe; `(-\d+\d+)*` is not (each iteration splits two ways).
function delimited(body: Node, inner: ReadonlyArray<Node & { kind: 'repeat' }>): boolean {
  const seqs = body.kind === 'group' ? body.alternatives : [[body]];
  if (seqs.length !== 1 || inner.length !== 1) return false;
  const seq = seqs[0]!;
  const innerSets = allChars(inner[0]!);
  const edge = (node: Node | undefined) => node !== undefined && node.kind === 'chars' && !intersects(node.set, innerSets);
  return edge(seq[0]) || edge(seq[seq.length - 1]);
}

/** Alternations (two or more branches) anywhere inside a node, the node included. */
function alternations(node: Node): Array<Node & { kind: 'group' }> {
  const found: Array<Node & { kind: 'group' }> = [];
  const walk = (n: Node) => {
    if (n.kind === 'group') {
      if (n.alternatives.length > 1) found.push(n);
      n.alternatives.forEach((seq) => seq.forEach(walk));
    } else if (n.kind === 'repeat') walk(n.body);
  };
  walk(node);
  return found;
}

/**
 * Hazards of a pattern that RE2 accepted (empty when none). Exponential cases only: polynomial
 * ones (`.*a.*b`) stay allowed, as the agent's engine is linear and the text is bounded.
 */
export function patternHazards(source: string): PatternHazard[] {
  const root = new PatternReader(source).parse();
  const chars = [...source];
  const fragment = (n: { start: number; end: number }) => chars.slice(n.start, n.end).join('');
  const hazards: PatternHazard[] = [];
  const visit = (node: Node) => {
    if (node.kind === 'group') node.alternatives.forEach((seq) => seq.forEach(visit));
    if (node.kind !== 'repeat') return;
    visit(node.body);
    // A few repetitions of an ambiguous body cost a constant factor, not an exponent.
    if (node.max <= MAX_HARMLESS_COUNT) return;
    const inner = innerVariable(node);
    if (nullable(node.body) || (inner.length > 0 && !delimited(node.body, inner))) {
      hazards.push({ kind: 'nested-repeat', fragment: fragment(node) });
      return;
    }
    // Two branches that can start alike, anywhere in a repeated body, double the ways per iteration.
    for (const group of alternations(node.body)) {
      const firsts = group.alternatives.map(firstChars);
      if (firsts.some((a, i) => firsts.some((b, j) => j > i && intersects(a, b)))) {
        hazards.push({ kind: 'overlapping-alternatives', fragment: fragment(node) });
        return;
      }
    }
  };
  visit(root);
  return hazards;
}
