import { cleanText } from '../text.js';

// Normalisation of systeminformation's values. Its results are typed, but they come from OS tools,
// firmware tables and older library versions (numbers as strings, '' or '-' for "unknown"), so
// every value is read as `unknown` and checked here before it reaches a section.

/** A plain object's own fields, or an empty object for anything else (null, arrays, strings…). */
export function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The elements of an array, or none when the value is not an array. */
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/**
 * Values that firmware makers and tools print when they know nothing: SMBIOS strings a board
 * maker never filled in, and the library's own "unknown" markers ('-', 'unknown'). Compared
 * case-insensitively after trimming. Sources: dmidecode dumps of ASUS/ASRock boards
 * ("System manufacturer", "Chassis Manufacture", "Asset-1234567890"), Windows Win32_PhysicalMemory
 * ("Unknown"), and the placeholder lists of other inventory tools (see test/fixtures/si/README.md).
 */
export const PLACEHOLDER_TEXTS: ReadonlySet<string> = new Set([
  '-',
  '--',
  '0',
  'n/a',
  'na',
  'none',
  'null',
  'unknown',
  'not specified',
  'not applicable',
  'not available',
  'not defined',
  'default string',
  'default',
  'to be filled by o.e.m.',
  'to be filled by o.e.m',
  'fill by oem',
  'o.e.m.',
  'oem',
  'system manufacturer',
  'system product name',
  'system version',
  'system serial number',
  'system sku',
  'sku',
  'base board serial number',
  'chassis manufacture',
  'chassis manufacturer',
  'chassis version',
  'chassis serial number',
  'no asset tag',
  'no asset information',
  'asset-1234567890',
  'invalid',
  '<bad index>',
  '0123456789',
  '123456789',
  '1234567890',
  '12345678',
  '123456789000',
]);

/** Firmware UUIDs that many boards share and that therefore identify nothing. */
const PLACEHOLDER_UUIDS: ReadonlySet<string> = new Set([
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  // Shipped on a very large number of AMI-based desktop boards.
  '03000200-0400-0500-0006-000700080009',
]);

/** True when a trimmed string is a known "nothing here" value. */
export function isPlaceholder(value: string): boolean {
  return PLACEHOLDER_TEXTS.has(value.trim().toLowerCase());
}

/** A string from the outside: control characters removed, trimmed, capped; empty → null. */
export function text(value: unknown, maxLength = 1024): string | null {
  return cleanText(value, maxLength);
}

/** Like `text`, and also null for a known placeholder ('Default string', 'To Be Filled By O.E.M.', '-'…). */
export function dmiText(value: unknown, maxLength = 1024): string | null {
  const cleaned = cleanText(value, maxLength);
  return cleaned === null || isPlaceholder(cleaned) ? null : cleaned;
}

/**
 * Like `dmiText`, for serial numbers and asset tags, where a run of one repeated character
 * ("00000000", "FFFFFFFF", "xxxxxxxx") is also a placeholder.
 */
export function serialText(value: unknown): string | null {
  const cleaned = dmiText(value, 256);
  if (cleaned === null) return null;
  const compact = cleaned.replace(/[\s.\-_:]/g, '').toLowerCase();
  if (compact.length >= 4 && /^(.)\1+$/.test(compact)) return null;
  return cleaned;
}

/** A firmware UUID in lower case, or null when it is malformed or one of the shared placeholders. */
export function uuidText(value: unknown): string | null {
  const cleaned = cleanText(value, 64)?.toLowerCase() ?? null;
  if (cleaned === null || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(cleaned)) return null;
  return PLACEHOLDER_UUIDS.has(cleaned) ? null : cleaned;
}

/**
 * Some Macs report memory part numbers as the hex of their ASCII bytes, NUL-padded
 * ("0x46412D38353030434C372D34474253510000" = "FA-8500CL7-4GBSQ"). Decodes those; returns any
 * other text unchanged.
 */
export function decodeHexAscii(value: string): string {
  const match = /^0x((?:[0-9a-f]{2}){4,})$/i.exec(value);
  if (!match?.[1]) return value;
  const bytes = Buffer.from(match[1], 'hex');
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  const body = bytes.subarray(0, end);
  if (body.length === 0 || !body.every((b) => b >= 0x20 && b < 0x7f)) return value;
  return body.toString('latin1').trim() || value;
}

/** A finite number from a number or a numeric string ("2.70" from older library versions), else null. */
export function num(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return null;
}

/** A positive whole number (rounded), or null for 0, negatives (-1 = "unknown") and non-numbers. */
export function positiveInt(value: unknown): number | null {
  const n = num(value);
  if (n === null || n <= 0) return null;
  const rounded = Math.round(n);
  return rounded > 0 && Number.isSafeInteger(rounded) ? rounded : null;
}

/** A non-negative whole number, or null. */
export function nonNegativeInt(value: unknown): number | null {
  const n = num(value);
  if (n === null || n < 0) return null;
  const rounded = Math.round(n);
  return Number.isSafeInteger(rounded) ? rounded : null;
}

/** A yes/no from a boolean only; anything else is unknown. */
export function bool(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

/** A MAC address, lower-case and colon-separated; null for malformed, all-zero or broadcast addresses. */
export function macAddress(value: unknown): string | null {
  const cleaned = cleanText(value, 64)?.toLowerCase().replace(/-/g, ':') ?? null;
  if (cleaned === null || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(cleaned)) return null;
  if (cleaned === '00:00:00:00:00:00' || cleaned === 'ff:ff:ff:ff:ff:ff') return null;
  return cleaned;
}

/** A USB vendor or product id as four lower-case hex digits ("0x0781", "0781", 1921 → "0781"), or null. */
export function usbId(value: unknown): string | null {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 0 && value <= 0xffff ? value.toString(16).padStart(4, '0') : null;
  }
  const cleaned = cleanText(value, 16)?.toLowerCase().replace(/^0x/, '') ?? null;
  if (cleaned === null || !/^[0-9a-f]{1,4}$/.test(cleaned)) return null;
  return cleaned.padStart(4, '0');
}

const GIB = 1024 ** 3;

/** Bytes rounded down to a whole GiB, so that free space does not change with every file written. */
export function floorToGiB(bytes: number | null): number | null {
  return bytes === null ? null : Math.floor(bytes / GIB) * GIB;
}

/** The prefix length of an IPv4 or IPv6 netmask ("255.255.255.0" → 24, "ffff:ffff::" → 32), or null when not contiguous. */
export function prefixLength(netmask: unknown): number | null {
  const mask = cleanText(netmask, 64)?.toLowerCase() ?? null;
  if (mask === null) return null;
  let bits: string;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(mask)) {
    const octets = mask.split('.').map(Number);
    if (octets.some((o) => o > 255)) return null;
    bits = octets.map((o) => o.toString(2).padStart(8, '0')).join('');
  } else if (/^[0-9a-f:]+$/.test(mask) && mask.includes(':')) {
    const groups = expandIpv6(mask);
    if (groups === null) return null;
    bits = groups.map((g) => parseInt(g, 16).toString(2).padStart(16, '0')).join('');
  } else {
    return null;
  }
  const ones = bits.indexOf('0') === -1 ? bits.length : bits.indexOf('0');
  return bits.slice(ones).includes('1') ? null : ones;
}

function expandIpv6(address: string): string[] | null {
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  return groups.every((g) => /^[0-9a-f]{1,4}$/.test(g)) ? groups : null;
}

/**
 * A local wall-clock time as the library prints it ("2026-11-26 14:49:39", or a date and a
 * "14:49" time) converted to ISO-8601 UTC, using this process's time zone, which is the one the
 * library used to print it. Null for anything that is not a real calendar time.
 */
export function localDateTimeToIso(date: unknown, time?: unknown): string | null {
  const joined = time === undefined ? cleanText(date, 64) : [cleanText(date, 32), cleanText(time, 32)].filter(Boolean).join(' ');
  if (!joined) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(joined);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map((part) => (part === undefined ? 0 : Number(part))) as [
    number, number, number, number, number, number,
  ];
  const local = new Date(year, month - 1, day, hour, minute, second);
  // Date rolls 2026-02-31 over to March; a real time reads back the same.
  if (
    local.getFullYear() !== year || local.getMonth() !== month - 1 || local.getDate() !== day ||
    local.getHours() !== hour || local.getMinutes() !== minute || local.getSeconds() !== second
  ) {
    return null;
  }
  return local.toISOString();
}

/** A firmware date ("2019-09-05", "09/05/2019") as ISO YYYY-MM-DD, or null. */
export function firmwareDate(value: unknown): string | null {
  const cleaned = cleanText(value, 64);
  if (cleaned === null) return null;
  let y: number, mo: number, d: number;
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})/.exec(cleaned);
  if (m) [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  else if ((m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(cleaned))) [y, mo, d] = [Number(m[3]), Number(m[1]), Number(m[2])];
  else if ((m = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/.exec(cleaned))) [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  else return null;
  const probe = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1980 || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) return null;
  return probe.toISOString().slice(0, 10);
}
