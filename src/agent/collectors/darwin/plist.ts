import bplist from 'bplist-parser';
import { parse as parseXmlPlist } from 'plist';
import { cleanText } from '../text.js';

/** A property-list dictionary as the parsers hand it over: read it only through `plistText`/`plistNumber`. */
export type PlistDict = Record<string, unknown>;

// bplist-parser 0.3.1 ships typings for parseFile only; parseBuffer is its synchronous core.
const parseBinaryPlist = (bplist as unknown as { parseBuffer(buffer: Buffer): unknown[] }).parseBuffer;

const BINARY_MAGIC = 'bplist00';
/** Larger than any real Info.plist or receipt; a bigger file is not what it claims to be. */
export const MAX_PLIST_BYTES = 4 * 1024 * 1024;

/**
 * Reads a property list in Apple's XML or binary (`bplist00`) format; never throws.
 * Returns null for anything that is not a complete, well-formed plist (truncated, garbage,
 * too large), so a damaged file costs one value, not the scan.
 */
export function readPlist(bytes: Uint8Array): unknown {
  if (bytes.length === 0 || bytes.length > MAX_PLIST_BYTES) return null;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (buffer.subarray(0, BINARY_MAGIC.length).toString('latin1') === BINARY_MAGIC) {
      const [root] = parseBinaryPlist(buffer);
      return root ?? null;
    }
    let text = buffer.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    // NOTE: xmldom (inside `plist`) logs every fatal parse error to the console; a truncated
    // or non-XML file is refused here instead, so the agent's log stays quiet.
    const trimmed = text.trim();
    if (!/^(<\?xml|<!DOCTYPE|<plist)/.test(trimmed) || !trimmed.endsWith('</plist>')) return null;
    return parseXmlPlist(text);
  } catch {
    return null;
  }
}

/** True for a plist dictionary (not an array, date, or data blob). */
export function isPlistDict(value: unknown): value is PlistDict {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof Uint8Array)
  );
}

/** An own key's value (a plist key such as `__proto__` never reaches the prototype chain). */
export function plistValue(dict: PlistDict, key: string): unknown {
  return Object.hasOwn(dict, key) ? dict[key] : undefined;
}

/**
 * A key's text, cleaned: strings as they are, numbers as decimal text (some bundles write
 * CFBundleVersion as an integer); null when absent, empty or of another type. Unexpanded Xcode
 * build variables (`$(PRODUCT_NAME)`), which ship in careless bundles, count as absent.
 */
export function plistText(dict: PlistDict, key: string, maxLength = 1024): string | null {
  const value = plistValue(dict, key);
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const text = cleanText(typeof value === 'string' ? value.normalize('NFC') : value, maxLength);
  if (text === null || /^\$[({][^)}]*[)}]$/.test(text)) return null;
  return text;
}

/** A key's finite number (integer or real, or digits in a string); null otherwise. */
export function plistNumber(dict: PlistDict, key: string): number | null {
  const value = plistValue(dict, key);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return null;
}

/** The texts of an array-valued key (dscl puts every attribute in an array); [] when absent. */
export function plistTexts(dict: PlistDict, key: string, maxLength = 1024): string[] {
  const value = plistValue(dict, key);
  const items = Array.isArray(value) ? value : value === undefined ? [] : [value];
  const texts: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string' && typeof item !== 'number') continue;
    const text = cleanText(typeof item === 'string' ? item.normalize('NFC') : item, maxLength);
    if (text !== null) texts.push(text);
  }
  return texts;
}
