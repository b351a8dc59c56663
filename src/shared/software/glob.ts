/**
 * Glob patterns for names and paths, matched without regular expressions so that no pattern an
 * administrator writes can make matching slow: a name glob costs O(pattern × text) at worst,
 * a path glob the same per pair of segments.
 *
 * Syntax: `*` any run of characters (in a path: within one segment), `?` one character,
 * `**` (a whole path segment) any number of segments. Nothing else is special.
 */

export interface CompiledGlob {
  readonly source: string;
  test(text: string): boolean;
  /** Runs of plain characters every match contains (between wildcards and `/`): used to index rules. */
  readonly literals: readonly string[];
  /** Plain text every match starts with (before the first wildcard), and ends with (after the last). */
  readonly prefix: string;
  readonly suffix: string;
}

function anchors(source: string): { prefix: string; suffix: string } {
  const first = source.search(/[*?]/);
  if (first < 0) return { prefix: source, suffix: source };
  const last = Math.max(source.lastIndexOf('*'), source.lastIndexOf('?'));
  return { prefix: source.slice(0, first), suffix: source.slice(last + 1) };
}

/** One segment: literal pieces between `*`, each piece may hold `?`. */
interface SegmentPattern {
  /** Pieces split at `*`; a pattern without `*` has one piece. */
  pieces: string[];
  hasStar: boolean;
  hasQuestion: boolean;
}

function segmentPattern(source: string): SegmentPattern {
  const pieces = source.split('*');
  return { pieces, hasStar: pieces.length > 1, hasQuestion: source.includes('?') };
}

// Without `?` the pieces are plain text: the engine's own startsWith/endsWith/indexOf do it.
function matchPlainSegment(pieces: readonly string[], text: string): boolean {
  if (pieces.length === 1) return pieces[0] === text;
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  if (first.length + last.length > text.length || !text.startsWith(first) || !text.endsWith(last)) return false;
  const tailStart = text.length - last.length;
  let at = first.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const found = text.indexOf(pieces[i]!, at);
    if (found < 0 || found + pieces[i]!.length > tailStart) return false;
    at = found + pieces[i]!.length;
  }
  return true;
}

// `?` is the only wildcard inside a piece; code points, not UTF-16 units, are characters.
function pieceMatchesAt(piece: string[], text: string[], at: number): boolean {
  if (at + piece.length > text.length) return false;
  for (let i = 0; i < piece.length; i++) if (piece[i] !== '?' && piece[i] !== text[at + i]) return false;
  return true;
}

function findPiece(piece: string[], text: string[], from: number, limit: number): number {
  for (let at = from; at + piece.length <= limit; at++) if (pieceMatchesAt(piece, text, at)) return at;
  return -1;
}

/**
 * Whether `text` matches a `*`/`?` pattern. The first piece is a prefix, the last a suffix, and
 * the middle ones are found leftmost in order: for `*`-only wildcards the leftmost choice never
 * loses a match, so there is no backtracking.
 */
function matchSegment(pattern: SegmentPattern, text: string): boolean {
  if (!pattern.hasQuestion) return matchPlainSegment(pattern.pieces, text);
  const chars = [...text];
  const pieces = pattern.pieces.map((p) => [...p]);
  if (!pattern.hasStar) return pieces[0]!.length === chars.length && pieceMatchesAt(pieces[0]!, chars, 0);
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  if (first.length + last.length > chars.length) return false;
  if (!pieceMatchesAt(first, chars, 0)) return false;
  const tailStart = chars.length - last.length;
  if (!pieceMatchesAt(last, chars, tailStart)) return false;
  let at = first.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i]!;
    const found = findPiece(piece, chars, at, tailStart);
    if (found < 0) return false;
    at = found + piece.length;
  }
  return true;
}

function literalRuns(source: string): string[] {
  return source.split(/[*?/]+/).filter((run) => run !== '');
}

/** Compiles a name glob (already normalised); `/` has no special meaning in names. */
export function compileNameGlob(source: string): CompiledGlob {
  const pattern = segmentPattern(source);
  return { source, literals: literalRuns(source), ...anchors(source), test: (text) => matchSegment(pattern, text) };
}

/**
 * Compiles a path glob (already normalised to `/` separators). Segments are matched one by one;
 * `**` spans zero or more whole segments. A trailing `/**` also matches the folder itself.
 */
export function compilePathGlob(source: string): CompiledGlob {
  const parts = source.split('/').map((segment) => (segment === '**' ? null : segmentPattern(segment)));
  const test = (text: string): boolean => {
    const segments = text.split('/');
    // reach[j]: the pattern's first i parts can match the text's first j segments (row i).
    let reach = new Array<boolean>(segments.length + 1).fill(false);
    reach[0] = true;
    for (const part of parts) {
      const next = new Array<boolean>(segments.length + 1).fill(false);
      if (part === null) {
        let any = false;
        for (let j = 0; j <= segments.length; j++) {
          any ||= reach[j]!;
          next[j] = any;
        }
      } else {
        for (let j = 0; j < segments.length; j++) if (reach[j] && matchSegment(part, segments[j]!)) next[j + 1] = true;
      }
      reach = next;
    }
    return reach[segments.length]!;
  };
  return { source, literals: literalRuns(source), ...anchors(source), test };
}
