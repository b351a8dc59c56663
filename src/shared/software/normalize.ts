/**
 * The one text form that software rules and observed software are compared in, so that
 * ｳｨﾆｰ and ウィニー, Ｗｉｎｎｙ and winny, C:\Program Files and c:/program files are the same.
 */

/** Longest name (after normalisation) that rules are evaluated against; longer text is cut. */
export const MAX_NAME_CHARS = 512;
/** Longest path (after normalisation) that rules are evaluated against. */
export const MAX_PATH_CHARS = 4096;

// C0 and C1 controls, DEL, and the invisible format characters a name can hide behind
// (zero-width space/joiners, BOM, bidi overrides and isolates).
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
// A lone surrogate (what a broken UTF-16 file name decodes to) becomes U+FFFD so that every
// later step works on well-formed text.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\ufffd');
}

/**
 * A name as rules see it: NFKC (full-width → half-width Latin, half-width → full-width kana),
 * lower case, invisible and control characters removed, runs of white space made one space,
 * trimmed, cut to MAX_NAME_CHARS. Never throws.
 */
export function normalizeName(text: string): string {
  // Printable ASCII is its own NFKC form and has nothing invisible: only case and spaces to fold.
  if (PRINTABLE_ASCII.test(text)) return text.toLowerCase().replace(/\s+/g, ' ').trim().slice(0, MAX_NAME_CHARS);
  const nfkc = wellFormed(text).normalize('NFKC').replace(INVISIBLE, '');
  return nfkc.toLowerCase().replace(/\s+/g, ' ').trim().slice(0, MAX_NAME_CHARS);
}

/**
 * A path as rules see it: like a name, but separators made `/` (Windows and Unix paths compare
 * alike), repeated separators made one, and white space kept as it is inside segments.
 * Case-insensitive on every OS: a prohibited tool renamed by case must not slip through.
 */
export function normalizePath(text: string): string {
  if (PRINTABLE_ASCII.test(text)) return text.toLowerCase().replace(/\\/g, '/').replace(/\/{2,}/g, '/').trim().slice(0, MAX_PATH_CHARS);
  const nfkc = wellFormed(text).normalize('NFKC').replace(INVISIBLE, '');
  return nfkc.toLowerCase().replace(/\\/g, '/').replace(/\/{2,}/g, '/').trim().slice(0, MAX_PATH_CHARS);
}

/** The file name of a path (after the last `/` or `\`). */
export function baseName(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return cut >= 0 ? path.slice(cut + 1) : path;
}

// Suffixes that name an executable rather than a title: Winny.exe is the title Winny.
const EXECUTABLE_SUFFIX = /\.(exe|com|bat|cmd|scr|app|appimage)$/i;

/**
 * The names a running executable is known by: its file name and the file name without an
 * executable suffix (winny.exe → winny), so one rule for a title covers both its installed entry
 * and its process. Normalised; duplicates and empty names dropped.
 */
export function executableNames(fileName: string): string[] {
  const name = normalizeName(fileName);
  const stem = name.replace(EXECUTABLE_SUFFIX, '');
  if (name === '') return [];
  return stem === name || stem === '' ? [name] : [name, stem];
}

/**
 * Text from the outside made safe to show and store: well-formed, controls written as `\xNN`
 * (so a name with a newline or escape sequence cannot forge a log line or a terminal), cut to
 * `max` characters. The original characters stay recognisable, unlike in the normalised form.
 */
export function displayText(text: string, max = 1024): string {
  // eslint-disable-next-line no-control-regex
  const shown = wellFormed(text).replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return shown.length > max ? shown.slice(0, max) : shown;
}
