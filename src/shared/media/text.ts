/**
 * Text that comes from a device (vendor, product, serial, volume label) or from a file an admin
 * imports: whatever its bytes, it is stored as safe, bounded text. Pure; the agent's parsers and
 * the collector's importer share it so that a name is cleaned the same way on both sides.
 */

// C0 and C1 control characters (tab, newline and carriage return included: a device string is one
// line), DEL, and the Unicode bidirectional overrides that can make a name read differently.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// A UTF-16 surrogate without its partner cannot be encoded as UTF-8 (JSON, databases refuse it).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Cleans one device string: drops control and bidi-override characters and lone surrogates,
 * collapses runs of spaces, trims, caps the length (in UTF-16 units, never splitting a pair) and
 * returns null for nothing left. Numbers become their decimal text; anything else is null.
 */
export function deviceText(value: unknown, maxLength = 256): string | null {
  if (value === null || value === undefined) return null;
  const raw = typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : null;
  if (raw === null) return null;
  const cleaned = raw.replace(UNSAFE, ' ').replace(LONE_SURROGATE, '\ufffd').normalize('NFC').replace(/ {2,}/g, ' ').trim();
  if (cleaned === '') return null;
  if (cleaned.length <= maxLength) return cleaned;
  let cut = cleaned.slice(0, maxLength);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return cut.trimEnd();
}

/** A USB vendor or product id as four lower-case hex digits, from "0781", "0x0781", 1921 or "0781 (SanDisk)"; null otherwise. */
export function usbId(value: unknown): string | null {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= 0xffff ? value.toString(16).padStart(4, '0') : null;
  if (typeof value !== 'string') return null;
  const m = /^\s*(?:0x)?([0-9a-f]{1,4})\b/i.exec(value);
  return m ? m[1]!.toLowerCase().padStart(4, '0') : null;
}
