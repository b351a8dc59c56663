import { cleanText } from '../text.js';

// Coercions for values that come out of Windows PowerShell 5.1's ConvertTo-Json or a .reg export.
// The same fact can arrive in several shapes (an enum as 4 or "System", a flag as true, 1, "1" or
// "True", a date as "\/Date(ms)\/" or ISO text), so every reader accepts all of them and answers
// null for anything else: outside data never throws here.

/** One object from the script's JSON (or one registry key's values): names to raw values. */
export type RawRecord = Readonly<Record<string, unknown>>;

/** True for a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is RawRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A JSON value as a list, undoing Windows PowerShell 5.1's ways of printing one: nothing or null
 * is no items, a lone value is one item, and `{"value":[…],"Count":n}` (an array that passed
 * through a PSObject, PowerShell/PowerShell#3222) is the array it wraps. Null items are dropped.
 */
export function listOf(value: unknown): unknown[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.filter((item) => item !== null && item !== undefined);
  if (isRecord(value) && Array.isArray(value.value) && typeof value.Count === 'number' && Object.keys(value).length === 2) {
    return listOf(value.value);
  }
  return [value];
}

/** The value of `name` in a record; registry value names are case-insensitive, so is this. */
export function valueOf(record: RawRecord, name: string): unknown {
  if (Object.hasOwn(record, name)) return record[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(record)) if (key.toLowerCase() === lower) return record[key];
  return undefined;
}

/** A cleaned, non-empty string (see cleanText), or null for anything that is not text or a number. */
export function textOf(value: unknown, maxLength = 1024): string | null {
  return typeof value === 'string' || typeof value === 'number' ? cleanText(value, maxLength) : null;
}

/** An integer from a JSON number or a decimal string ("900"); null otherwise. */
export function intOf(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  if (typeof value === 'string' && /^\s*-?\d{1,15}\s*$/.test(value)) return Number.parseInt(value, 10);
  return null;
}

/** A yes/no from true/false, 1/0, "1"/"0" or "True"/"False" in any case; null otherwise. */
export function flagOf(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (text === '1' || text === 'true') return true;
    if (text === '0' || text === 'false') return false;
  }
  return null;
}

// Windows reports "never" as 1601-01-01 (FILETIME zero) or 0001-01-01 (DateTime.MinValue):
// anything before this is such a placeholder, not a real time.
const EARLIEST_REAL_TIME = Date.UTC(1980, 0, 1);

/**
 * An ISO-8601 UTC time from what Windows PowerShell prints for a date: ISO text from
 * `.ToString('o')` (with Z, an offset, or none: `naive` says what a time without a zone means),
 * or the legacy `\/Date(ms)\/` form. Placeholders for "never" and malformed text give null.
 */
export function isoTimeOf(value: unknown, naive: 'utc' | 'reject' = 'reject'): string | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  let ms: number;
  const legacy = /^\\?\/Date\((-?\d{1,15})([+-]\d{4})?\)\\?\/$/.exec(text);
  if (legacy) {
    ms = Number(legacy[1]);
  } else {
    const iso = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
    if (!iso) return null;
    if (!iso[8] && naive === 'reject') return null;
    // JavaScript's Date keeps milliseconds only; .NET prints 7 fraction digits.
    const fraction = iso[7] ? iso[7].slice(0, 4) : '';
    ms = Date.parse(`${iso[1]}-${iso[2]}-${iso[3]}T${iso[4]}:${iso[5]}:${iso[6]}${fraction}${iso[8] ?? 'Z'}`);
  }
  if (!Number.isFinite(ms) || ms < EARLIEST_REAL_TIME || ms > Date.UTC(9999, 11, 31)) return null;
  return new Date(ms).toISOString();
}

/** An ISO-8601 UTC time from seconds since 1970 (a registry DWORD, possibly printed as a negative int32). */
export function isoTimeFromEpochSeconds(value: unknown): string | null {
  const seconds = intOf(value);
  if (seconds === null) return null;
  const unsigned = seconds < 0 && seconds >= -0x8000_0000 ? seconds + 0x1_0000_0000 : seconds;
  const ms = unsigned * 1000;
  if (ms < EARLIEST_REAL_TIME || ms > Date.UTC(9999, 11, 31)) return null;
  return new Date(ms).toISOString();
}

/**
 * 'YYYY-MM-DD' from the Uninstall key's InstallDate, which MSI writes as `yyyymmdd` (a string, or
 * now and then a DWORD). Other formats, impossible dates (20230231) and years outside 1980–2099
 * give null: installers write all sorts of things there.
 */
export function installDateOf(value: unknown): string | null {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1980 || year > 2099 || month < 1 || month > 12 || day < 1) return null;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return null;
  return `${match[1]}-${match[2]}-${match[3]}`;
}
